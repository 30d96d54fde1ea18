import type { ForwardOptions, IncrementalDecoder, LanguageModel, MiniGpt } from '@lm-stack/transformer';
import type * as tf from '@tensorflow/tfjs';
import { LoraConfigError } from './errors.js';
import type { LoraAdapter } from './lora-adapter.js';

/** An adapter applied to a base, with its strength (1 = as trained). */
export interface ScaledAdapter {
  readonly adapter: LoraAdapter;
  /** Multiplies the adapter's own α/r. Default 1. */
  readonly scale?: number;
}

/**
 * A frozen MiniGPT with LoRA adapters on top, as one {@link LanguageModel}: its parameters are only the
 * trainable adapter's factors, so the transformer's `Trainer` (AdamW, clipping, schedules, checkpoints)
 * trains the adapter and never touches the base. Several adapters can be active at once, each with its
 * own scale; generation (`decoder`) runs them too.
 *
 * @example
 * ```ts
 * const adapter = LoraAdapter.create(base, { rank: 8 });
 * const model = new LoraModel(base, [{ adapter }]);
 * const trainer = new Trainer({ model, train, trainWeights, batchSize: 8, steps: 200, learningRate: 1e-3 });
 * await trainer.fit(); // base weights unchanged, adapter trained
 * ```
 */
export class LoraModel implements LanguageModel {
  readonly kind = 'lora';
  readonly parameters: ReadonlyMap<string, tf.Variable>;

  /**
   * @param base - the frozen model
   * @param adapters - adapters applied in order, each with a scale
   * @param trainable - which adapter the trainer updates (index into `adapters`); default 0, `null` for none
   */
  constructor(
    readonly base: MiniGpt,
    readonly adapters: readonly ScaledAdapter[],
    trainable: number | null = 0,
  ) {
    if (trainable !== null && !adapters[trainable])
      throw new LoraConfigError('trainable', trainable, `must index one of the ${adapters.length} adapters`);
    this.parameters = trainable === null ? new Map() : adapters[trainable]!.adapter.parameters;
  }

  get vocabSize(): number {
    return this.base.vocabSize;
  }

  get contextLength(): number {
    return this.base.contextLength;
  }

  /** The forward options that add every adapter's update to the base's matmuls. */
  private withAdapters(options: ForwardOptions): ForwardOptions {
    let dropoutSeed = (options.seed ?? 0) * 7919 + 1; // distinct from the base's dropout seeds
    return {
      ...options,
      frozenWeights: true,
      adapter: (name, rows) => {
        let sum: tf.Tensor2D | undefined;
        for (const { adapter, scale } of this.adapters) {
          const update = adapter.update(name, rows, scale ?? 1, options.training ? dropoutSeed++ : undefined);
          if (update) sum = sum ? (sum.add(update) as tf.Tensor2D) : update;
        }
        return sum;
      },
    };
  }

  logits(ids: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    return this.base.logits(ids, this.withAdapters(options));
  }

  decoder(options: ForwardOptions = {}): IncrementalDecoder {
    return this.base.decoder(this.withAdapters(options));
  }

  /** No weight decay on the factors: decay would pull the update towards zero, i.e. towards the base. */
  decays(): boolean {
    return false;
  }

  toConfig(): Record<string, unknown> {
    return {
      base: this.base.toConfig(),
      adapters: this.adapters.map(({ adapter, scale }) => ({ ...adapter.config, scale: scale ?? 1 })),
    };
  }

  /** Frees the adapters' factors; the base belongs to the caller and stays. */
  dispose(): void {
    for (const { adapter } of this.adapters) adapter.dispose();
  }
}
