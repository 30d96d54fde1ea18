import * as tf from '@tensorflow/tfjs';
import { requireReadyBackend } from './backend.js';
import { type LstmConfig, type LstmConfigInput, parseLstmConfig } from './config.js';
import type { ForwardOptions, IncrementalDecoder, LanguageModel } from './language-model.js';
import { linear } from './linear.js';
import { lstmSequence } from './lstm-sequence.js';
import { SeededRandom } from './random.js';

/** Hidden and cell state per layer: [batch, hidden]. */
interface LstmState {
  h: tf.Tensor[];
  c: tf.Tensor[];
}

/**
 * An LSTM language model in tfjs ops (so it shares MiniGPT's training loop): embedding → stacked LSTM
 * layers → linear head. Each layer computes the input part of all four gates for every step in one matmul,
 * then runs the recurrence: i, f, g, o = split(xW + hU + b); c = f·c + i·g; h = o·tanh(c). The forget-gate
 * bias starts at 1 (Jozefowicz et al. 2015).
 *
 * @example
 * ```ts
 * const model = new LstmLm({ vocabSize: 512, contextLength: 128, embeddingSize: 128, hiddenSize: 256, nLayers: 2 }, 7);
 * const logits = model.logits(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')); // [1, 3, 512]
 * ```
 */
export class LstmLm implements LanguageModel {
  readonly kind = 'lstm';
  readonly config: LstmConfig;
  readonly parameters = new Map<string, tf.Variable>();

  constructor(config: LstmConfigInput, seed = 0) {
    this.config = parseLstmConfig(config);
    requireReadyBackend();
    const { vocabSize, embeddingSize, hiddenSize, nLayers } = this.config;
    const random = new SeededRandom(seed);
    // PyTorch's LSTM initialisation: U(−1/√hidden, 1/√hidden); embedding N(0, 1)·0.02 as in MiniGPT.
    const bound = 1 / Math.sqrt(hiddenSize);
    const uniform = (count: number) =>
      Float32Array.from({ length: count }, () => (random.next() * 2 - 1) * bound);
    const add = (name: string, make: () => tf.Tensor) =>
      this.parameters.set(
        name,
        tf.tidy(() => tf.variable(make())),
      );
    add('embedding', () =>
      tf.tensor2d(random.normals(vocabSize * embeddingSize, 0.02), [vocabSize, embeddingSize]),
    );
    for (let layer = 0; layer < nLayers; layer++) {
      const input = layer === 0 ? embeddingSize : hiddenSize;
      add(`lstm.${layer}.input_weight`, () =>
        tf.tensor2d(uniform(input * 4 * hiddenSize), [input, 4 * hiddenSize]),
      );
      add(`lstm.${layer}.hidden_weight`, () =>
        tf.tensor2d(uniform(hiddenSize * 4 * hiddenSize), [hiddenSize, 4 * hiddenSize]),
      );
      const bias = uniform(4 * hiddenSize);
      bias.fill(1, hiddenSize, 2 * hiddenSize); // gate order i, f, g, o: forget bias 1
      add(`lstm.${layer}.bias`, () => tf.tensor1d(bias));
    }
    add('head', () => tf.tensor2d(uniform(hiddenSize * vocabSize), [hiddenSize, vocabSize]));
    add('head_bias', () => tf.zeros([vocabSize]));
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  get contextLength(): number {
    return this.config.contextLength;
  }

  logits(ids: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => this.run(ids, options).logits);
  }

  /**
   * An incremental decoder: the hidden and cell state of every layer carried from one call to the next.
   *
   * @example
   * ```ts
   * const decoder = model.decoder();
   * const logits = decoder.next(promptIds);
   * ```
   */
  decoder(): IncrementalDecoder {
    let state: LstmState | undefined;
    let length = 0;
    const release = () => {
      for (const tensor of [...(state?.h ?? []), ...(state?.c ?? [])]) tensor.dispose();
    };
    return {
      get length() {
        return length;
      },
      next: (ids: readonly number[]) => {
        if (ids.length === 0) throw new RangeError('feed at least one token');
        let final: LstmState | undefined;
        const last = tf.tidy(() => {
          const result = this.run(tf.tensor2d([[...ids]], [1, ids.length], 'int32'), {}, state);
          for (const tensor of [...result.final.h, ...result.final.c]) tf.keep(tensor);
          final = result.final;
          return result.logits
            .slice([0, ids.length - 1, 0], [1, 1, this.vocabSize])
            .reshape([this.vocabSize]);
        });
        release();
        state = final;
        length += ids.length;
        const values = last.dataSync() as Float32Array;
        last.dispose();
        return values;
      },
      dispose: release,
    };
  }

  /** Logits for `ids` starting from `initial` states (zeros when absent), and the states after the last step. */
  private run(
    ids: tf.Tensor2D,
    options: ForwardOptions,
    initial?: LstmState,
  ): { logits: tf.Tensor3D; final: LstmState } {
    const { hiddenSize, nLayers, dropout } = this.config;
    const [batch, seq] = ids.shape;
    let dropoutSeed = options.seed ?? 0;
    const drop = (x: tf.Tensor) =>
      options.training && dropout > 0 ? tf.dropout(x, dropout, undefined, dropoutSeed++) : x;
    const parameter = <R extends tf.Rank>(name: string) =>
      this.parameters.get(name)! as unknown as tf.Tensor<R>;
    const final: LstmState = { h: [], c: [] };
    let x: tf.Tensor = drop(tf.gather(parameter<tf.Rank.R2>('embedding'), ids)); // [batch, seq, embedding]
    for (let layer = 0; layer < nLayers; layer++) {
      // Input part of the gates for all steps at once: [batch, seq, 4·hidden]
      const inputGates = linear(x, parameter(`lstm.${layer}.input_weight`)).add(
        parameter(`lstm.${layer}.bias`),
      );
      // Time-major [seq, batch, 4·hidden]: each step's gates a contiguous slice (tfjs's wasm Unpack along an
      // inner axis copies element by element, half a training step)
      const { outputs, h, c } = lstmSequence(
        inputGates.transpose([1, 0, 2]) as tf.Tensor3D,
        parameter(`lstm.${layer}.hidden_weight`),
        (initial?.h[layer] ?? tf.zeros([batch, hiddenSize])) as tf.Tensor2D,
        (initial?.c[layer] ?? tf.zeros([batch, hiddenSize])) as tf.Tensor2D,
      );
      final.h.push(h);
      final.c.push(c);
      x = drop(outputs.transpose([1, 0, 2])); // [seq, batch, hidden] → [batch, seq, hidden]
    }
    const logits = linear(x, parameter('head'))
      .add(parameter('head_bias'))
      .reshape([batch, seq, this.vocabSize]) as tf.Tensor3D;
    return { logits, final };
  }

  decays(name: string): boolean {
    return name !== 'embedding' && !name.endsWith('bias');
  }

  toConfig(): Record<string, unknown> {
    return { ...this.config };
  }

  dispose(): void {
    for (const variable of this.parameters.values()) variable.dispose();
  }
}
