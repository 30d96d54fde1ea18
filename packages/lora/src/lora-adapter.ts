import { linear, type MiniGpt, SeededRandom } from '@lm-stack/transformer';
import * as tf from '@tensorflow/tfjs';
import { baseModelHash } from './base-hash.js';
import { LoraConfigError } from './errors.js';
import { type LoraConfig, type LoraConfigInput, loraScaling, parseLoraConfig } from './lora-config.js';

/** The two factors of one adapted matrix W [in, out]: the update is x·A·B, A [in, r], B [r, out]. */
export interface LoraPair {
  readonly a: tf.Variable;
  readonly b: tf.Variable;
}

/** Frees factors a loader built before it failed (an adapter owns them once made). */
export function disposeFactors(factors: ReadonlyMap<string, { a: tf.Tensor; b: tf.Tensor }>): void {
  for (const { a, b } of factors.values()) {
    a.dispose();
    b.dispose();
  }
}

/** Base matrices (`blk.N.attn_q`, …, `output`) a config adapts, with their [in, out] shapes. */
export function adaptedMatrices(
  base: MiniGpt,
  config: LoraConfig,
): Array<{ name: string; shape: [number, number] }> {
  const out: Array<{ name: string; shape: [number, number] }> = [];
  for (let layer = 0; layer < base.config.nLayers; layer++)
    for (const target of config.targets) {
      if (target === 'output') continue;
      const name = `blk.${layer}.${target}`;
      out.push({ name, shape: base.parameters.get(name)!.shape as [number, number] });
    }
  if (config.targets.includes('output')) {
    if (base.config.tieEmbeddings)
      throw new LoraConfigError(
        'targets',
        'output',
        'the head is tied to the embedding; adapt it untied or drop it',
      );
    out.push({ name: 'output', shape: base.parameters.get('output')!.shape as [number, number] });
  }
  return out;
}

/**
 * LoRA factors for some of a MiniGPT's matrices: W·x becomes W·x + s·B·A·x with s = α/r (or α/√r), while W
 * stays frozen. Initialised as PEFT does: A Kaiming-uniform with a = √5 (uniform in ±1/√in), B zero, so a
 * new adapter changes nothing until trained. Parameters are named `<matrix>.lora_a` / `<matrix>.lora_b`.
 *
 * @example
 * ```ts
 * const adapter = LoraAdapter.create(base, { rank: 8, alpha: 16 }, 42);
 * adapter.parameterCount; // 2 · r · (in + out) per adapted matrix
 * ```
 */
export class LoraAdapter {
  /** Trainable factors by parameter name, in a fixed order (checkpoints and the optimizer rely on it). */
  readonly parameters = new Map<string, tf.Variable>();
  /** Factors by adapted matrix. */
  readonly pairs = new Map<string, LoraPair>();

  private constructor(
    readonly config: LoraConfig,
    /** {@link baseModelHash} of the model the adapter was made for. */
    readonly baseHash: string,
  ) {}

  /** A fresh adapter for `base` (PEFT initialisation, seeded). */
  static create(base: MiniGpt, config: LoraConfigInput, seed = 0): LoraAdapter {
    const parsed = parseLoraConfig(config);
    const adapter = new LoraAdapter(parsed, baseModelHash(base));
    const random = new SeededRandom(seed);
    for (const { name, shape } of adaptedMatrices(base, parsed)) {
      const [inFeatures, outFeatures] = shape;
      const bound = 1 / Math.sqrt(inFeatures); // kaiming_uniform_(a=√5): gain √(2/6) · √(3/fan_in)
      const a = new Float32Array(inFeatures * parsed.rank);
      for (let i = 0; i < a.length; i++) a[i] = (2 * random.next() - 1) * bound;
      adapter.add(name, tf.tensor2d(a, [inFeatures, parsed.rank]), tf.zeros([parsed.rank, outFeatures]));
    }
    return adapter;
  }

  /**
   * An adapter from given factors (A [in, r], B [r, out] per matrix), checked against `base`: the loaders
   * use it. Takes ownership of the tensors.
   */
  static fromFactors(
    base: MiniGpt,
    config: LoraConfigInput,
    baseHash: string,
    factors: ReadonlyMap<string, { a: tf.Tensor2D; b: tf.Tensor2D }>,
  ): LoraAdapter {
    const parsed = parseLoraConfig(config);
    const adapter = new LoraAdapter(parsed, baseHash);
    for (const { name } of adaptedMatrices(base, parsed)) {
      const pair = factors.get(name);
      if (!pair) throw new LoraConfigError('factors', name, 'no A/B factors for this adapted matrix');
      adapter.add(name, pair.a, pair.b);
    }
    return adapter;
  }

  private add(name: string, a: tf.Tensor2D, b: tf.Tensor): void {
    const pair = { a: tf.variable(a), b: tf.variable(b) };
    a.dispose();
    b.dispose();
    this.pairs.set(name, pair);
    this.parameters.set(`${name}.lora_a`, pair.a);
    this.parameters.set(`${name}.lora_b`, pair.b);
  }

  /** s in W + s·B·A: α/r, or α/√r with rsLoRA. */
  get scaling(): number {
    return loraScaling(this.config);
  }

  /** Scalars in the factors. */
  get parameterCount(): number {
    let total = 0;
    for (const variable of this.parameters.values()) total += variable.size;
    return total;
  }

  /**
   * The update for rows [tokens, in] entering matrix `name`, times `scale` (and the adapter's own scaling):
   * [tokens, out], or undefined when the matrix is not adapted. Dropout applies to the rows while training.
   */
  update(name: string, rows: tf.Tensor2D, scale: number, dropoutSeed?: number): tf.Tensor2D | undefined {
    const pair = this.pairs.get(name);
    if (!pair) return undefined;
    const input =
      dropoutSeed !== undefined && this.config.dropout > 0
        ? (tf.dropout(rows, this.config.dropout, undefined, dropoutSeed) as tf.Tensor2D)
        : rows;
    // [tokens, in] · [in, r] · [r, out], with the transformer's plain-matmul gradients (fast on wasm)
    return linear(linear(input, pair.a as tf.Tensor2D), pair.b as tf.Tensor2D).mul(
      scale * this.scaling,
    ) as tf.Tensor2D;
  }

  /** The dense update s·A·B [in, out] of matrix `name` (for merging). */
  delta(name: string, scale = 1): tf.Tensor2D {
    const pair = this.pairs.get(name);
    if (!pair) throw new LoraConfigError('matrix', name, 'is not adapted');
    return tf.tidy(() => (pair.a as tf.Tensor2D).matMul(pair.b as tf.Tensor2D).mul(scale * this.scaling));
  }

  /** Frees the factors. */
  dispose(): void {
    for (const variable of this.parameters.values()) variable.dispose();
  }
}
