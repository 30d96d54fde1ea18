import * as tf from '@tensorflow/tfjs';
import { requireReadyBackend } from './backend.js';
import { type MiniGptConfig, type MiniGptConfigInput, parseMiniGptConfig } from './config.js';
import { fastMiniGptDecoder } from './fast-decoder.js';
import { hasFastMatMul } from './fast-kernels.js';
import type { ForwardOptions, IncrementalDecoder, LanguageModel } from './language-model.js';
import { frozenLinear, linear as trainableLinear } from './linear.js';
import { SeededRandom } from './random.js';
import { rmsNorm } from './rms-norm.js';
import { ropeHeads, ropeTables } from './rope.js';

/**
 * Per-forward helpers: dropout with this pass's seeds, and the matmul with the named weight (with optional
 * activation rounding and an adapter's low-rank update).
 */
interface Pass {
  drop(x: tf.Tensor): tf.Tensor;
  project(x: tf.Tensor, name: string, weight: tf.Tensor2D): tf.Tensor;
}

/** Keys and values of the positions decoded so far, per layer: [1, kvHeads, length, headDim]. */
interface KvCache {
  keys: tf.Tensor4D[];
  values: tf.Tensor4D[];
  length: number;
}

/**
 * A LLaMA-style decoder, one page: token embedding; per block RMSNorm → causal multi-head attention with
 * RoPE (optionally grouped-query) → residual, RMSNorm → SwiGLU MLP → residual; final RMSNorm; output head
 * (optionally tied to the embedding). No biases. Parameters are named as in GGUF (`token_embd`,
 * `blk.N.attn_q`, …) and stored [in, out], so `x @ W`.
 *
 * @example
 * ```ts
 * const model = new MiniGpt({ vocabSize: 512, contextLength: 128, dModel: 128, nLayers: 4, nHeads: 4, dFf: 512 }, 42);
 * const logits = model.logits(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')); // [1, 3, 512]
 * ```
 */
export class MiniGpt implements LanguageModel {
  readonly kind = 'minigpt';
  readonly config: MiniGptConfig;
  readonly parameters = new Map<string, tf.Variable>();
  private readonly rope: { cos: tf.Tensor2D; sin: tf.Tensor2D };
  /** 0 on and below the diagonal, −1e9 above: added to attention scores. [context, context] */
  private readonly causalMask: tf.Tensor2D;

  constructor(config: MiniGptConfigInput, seed = 0) {
    this.config = parseMiniGptConfig(config);
    requireReadyBackend();
    const { vocabSize, contextLength, dModel, nLayers, nHeads, dFf } = this.config;
    const headDim = dModel / nHeads;
    const kvDim = this.kvHeads * headDim;
    const random = new SeededRandom(seed);
    // GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 · layers).
    const normal = (name: string, shape: [number, number], std = 0.02) =>
      this.parameters.set(
        name,
        tf.tidy(() => tf.variable(tf.tensor2d(random.normals(shape[0] * shape[1], std), shape))),
      );
    const ones = (name: string) =>
      this.parameters.set(
        name,
        tf.tidy(() => tf.variable(tf.ones([dModel]))),
      );
    const residualStd = 0.02 / Math.sqrt(2 * nLayers);
    normal('token_embd', [vocabSize, dModel]);
    for (let layer = 0; layer < nLayers; layer++) {
      const block = `blk.${layer}`;
      ones(`${block}.attn_norm`);
      normal(`${block}.attn_q`, [dModel, dModel]);
      normal(`${block}.attn_k`, [dModel, kvDim]);
      normal(`${block}.attn_v`, [dModel, kvDim]);
      normal(`${block}.attn_output`, [dModel, dModel], residualStd);
      ones(`${block}.ffn_norm`);
      normal(`${block}.ffn_gate`, [dModel, dFf]);
      normal(`${block}.ffn_up`, [dModel, dFf]);
      normal(`${block}.ffn_down`, [dFf, dModel], residualStd);
    }
    ones('output_norm');
    if (!this.config.tieEmbeddings) normal('output', [dModel, vocabSize]);
    this.rope = ropeTables(contextLength, headDim, this.config.ropeBase);
    this.causalMask = tf.tidy(() =>
      tf.linalg
        .bandPart(tf.ones([contextLength, contextLength]), -1, 0)
        .sub(1)
        .mul(1e9),
    ) as tf.Tensor2D;
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  get contextLength(): number {
    return this.config.contextLength;
  }

  /** Key/value heads (grouped-query attention when fewer than the query heads). */
  get kvHeads(): number {
    return this.config.nKvHeads ?? this.config.nHeads;
  }

  private weight<R extends tf.Rank>(name: string): tf.Tensor<R> {
    return this.parameters.get(name)! as unknown as tf.Tensor<R>;
  }

  logits(ids: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => this.forward(ids, options));
  }

  /**
   * An incremental decoder with a key/value cache: each call feeds new tokens and returns the logits of
   * the last one, attending to everything fed before (up to the context length).
   *
   * @example
   * ```ts
   * const decoder = model.decoder();
   * let logits = decoder.next(promptIds);
   * logits = decoder.next([argmax(logits)]);
   * decoder.dispose();
   * ```
   */
  decoder(options: ForwardOptions = {}): IncrementalDecoder {
    // Plain inference on lm-stack's CPU kernels: the decoder outside tfjs (a token costs no tfjs dispatch).
    const hooked = options.activations || options.adapter || options.rmsNorm || options.training;
    const fast =
      !hooked && hasFastMatMul()
        ? fastMiniGptDecoder(this.config, (name) => this.weight(name), this.rope)
        : null;
    if (fast) return fast;
    const cache: KvCache = { keys: [], values: [], length: 0 };
    const release = () => {
      for (const tensor of [...cache.keys, ...cache.values]) tensor.dispose();
    };
    return {
      get length() {
        return cache.length;
      },
      next: (ids: readonly number[]) => {
        if (ids.length === 0) throw new RangeError('feed at least one token');
        if (cache.length + ids.length > this.contextLength)
          throw new RangeError(
            `the cache holds ${cache.length} tokens; ${ids.length} more exceed the context of ${this.contextLength}`,
          );
        const previous = [...cache.keys, ...cache.values];
        const logits = tf.tidy(() => {
          const all = this.forward(tf.tensor2d([[...ids]], [1, ids.length], 'int32'), options, cache);
          return all.slice([0, ids.length - 1, 0], [1, 1, this.vocabSize]).reshape([this.vocabSize]);
        });
        for (const tensor of previous) tensor.dispose();
        cache.length += ids.length;
        const values = logits.dataSync() as Float32Array;
        logits.dispose();
        return values;
      },
      dispose: release,
    };
  }

  /** The forward pass; with a cache, positions start after the cached ones and new keys/values are kept in it. */
  private forward(ids: tf.Tensor2D, options: ForwardOptions, cache?: KvCache): tf.Tensor3D {
    const { nLayers, normEps, dropout } = this.config;
    let dropoutSeed = options.seed ?? 0;
    const pass: Pass = {
      drop: (x) => (options.training && dropout > 0 ? tf.dropout(x, dropout, undefined, dropoutSeed++) : x),
      project: (x, name, weight) => {
        const { activations, adapter } = options;
        const linear = options.frozenWeights ? frozenLinear : trainableLinear;
        if (!activations && !adapter) return linear(x, weight);
        const [inFeatures, outFeatures] = weight.shape;
        const rows = x.reshape([-1, inFeatures]) as tf.Tensor2D; // [tokens, in]
        let y = linear(activations ? activations(rows, name) : rows, weight); // [tokens, out]
        const update = adapter?.(name, rows);
        if (update) y = y.add(update);
        return y.reshape([...x.shape.slice(0, -1), outFeatures]);
      },
    };
    const normalize = options.rmsNorm ?? rmsNorm;
    let x = pass.drop(tf.gather(this.weight<tf.Rank.R2>('token_embd'), ids)); // [batch, seq, dModel]
    for (let layer = 0; layer < nLayers; layer++) {
      const block = `blk.${layer}`;
      x = x.add(
        pass.drop(
          this.attention(normalize(x, this.weight(`${block}.attn_norm`), normEps), layer, pass, cache),
        ),
      );
      x = x.add(
        pass.drop(this.feedForward(normalize(x, this.weight(`${block}.ffn_norm`), normEps), block, pass)),
      );
    }
    x = normalize(x, this.weight('output_norm'), normEps);
    const head = this.config.tieEmbeddings
      ? this.weight<tf.Rank.R2>('token_embd').transpose()
      : this.weight<tf.Rank.R2>('output');
    return pass.project(x, 'output', head as tf.Tensor2D) as tf.Tensor3D; // [batch, seq, vocab]
  }

  /** Causal self-attention with RoPE; k/v heads repeated for grouped-query attention. */
  private attention(x: tf.Tensor, layer: number, pass: Pass, cache?: KvCache): tf.Tensor {
    const { nHeads, dModel } = this.config;
    const block = `blk.${layer}`;
    const [batch, seq] = x.shape as [number, number, number];
    const offset = cache?.length ?? 0;
    const total = offset + seq;
    const headDim = dModel / nHeads;
    const heads = (name: string, count: number) =>
      pass
        .project(x, `${block}.${name}`, this.weight(`${block}.${name}`))
        .reshape([batch, seq, count, headDim]) as tf.Tensor4D;
    const q = ropeHeads(heads('attn_q', nHeads), this.rope.cos, this.rope.sin, offset); // [batch, heads, seq, headDim]
    let k: tf.Tensor = ropeHeads(heads('attn_k', this.kvHeads), this.rope.cos, this.rope.sin, offset);
    let v = heads('attn_v', this.kvHeads).transpose([0, 2, 1, 3]);
    if (cache) {
      // [batch, kvHeads, offset + seq, headDim]: the cached positions, then the new ones
      if (offset > 0) {
        k = tf.concat([cache.keys[layer]!, k], 2);
        v = tf.concat([cache.values[layer]!, v], 2);
      }
      cache.keys[layer] = tf.keep(k) as tf.Tensor4D;
      cache.values[layer] = tf.keep(v) as tf.Tensor4D;
    }
    const group = nHeads / this.kvHeads;
    if (group > 1) {
      // query head h reads kv head ⌊h / group⌋, as llama.cpp does
      const repeat = (t: tf.Tensor) =>
        t
          .reshape([batch * this.kvHeads, 1, total * headDim])
          .tile([1, group, 1])
          .reshape([batch, nHeads, total, headDim]);
      k = repeat(k);
      v = repeat(v);
    }
    const mask = this.causalMask.slice([offset, 0], [seq, total]); // query i sees keys 0 … offset + i
    const scores = tf
      .matMul(q, k, false, true)
      .mul(1 / Math.sqrt(headDim))
      .add(mask); // [batch, heads, seq, total]
    const mixed = tf.matMul(pass.drop(tf.softmax(scores)), v); // [batch, heads, seq, headDim]
    return pass.project(
      mixed.transpose([0, 2, 1, 3]).reshape([batch, seq, dModel]),
      `${block}.attn_output`,
      this.weight(`${block}.attn_output`),
    );
  }

  /** SwiGLU: down(silu(gate(x)) · up(x)). */
  private feedForward(x: tf.Tensor, block: string, pass: Pass): tf.Tensor {
    const matmul = (input: tf.Tensor, name: string) =>
      pass.project(input, `${block}.${name}`, this.weight(`${block}.${name}`));
    const gate = matmul(x, 'ffn_gate');
    const up = matmul(x, 'ffn_up');
    return matmul(gate.mul(gate.sigmoid()).mul(up), 'ffn_down');
  }

  decays(name: string): boolean {
    return !name.endsWith('_norm') && name !== 'token_embd';
  }

  toConfig(): Record<string, unknown> {
    return { ...this.config };
  }

  dispose(): void {
    for (const variable of this.parameters.values()) variable.dispose();
    this.rope.cos.dispose();
    this.rope.sin.dispose();
    this.causalMask.dispose();
  }
}
