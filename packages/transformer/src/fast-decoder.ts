import type * as tf from '@tensorflow/tfjs';
import type { MiniGptConfig } from './config.js';
import type { IncrementalDecoder } from './language-model.js';
import { nativeGemmActive, runNativeGemm } from './native-gemm.js';
import { type GemmShape, gemmScratchBytes, runGemm } from './wasm-gemm.js';
import { align, growTo, hasWasmKernels, type KernelExports, kernelsOn } from './wasm-module.js';

const FLOAT = 4; // bytes

/** One row [1, depth] times a [depth, width] matrix (stored [width, depth] when transposed). */
const rowShape = (depth: number, width: number, transposed: boolean): GemmShape => ({
  batches: 1,
  m: 1,
  n: width,
  k: depth,
  transposeA: false,
  transposeB: transposed,
  batchedA: true,
  batchedB: true,
});

/** Where each array lives in the decoder's memory, in floats. */
class Arena {
  private next = 0;
  readonly offsets = new Map<string, number>();
  take(name: string, floats: number): number {
    const at = this.next;
    this.offsets.set(name, at);
    this.next += align(floats * FLOAT) / FLOAT; // 16-byte aligned, as the SIMD kernels load
    return at;
  }
  get floats(): number {
    return this.next;
  }
}

/**
 * MiniGPT's incremental decoder outside tfjs: one token costs a few hundred tfjs dispatches on the tfjs path
 * (about 8 µs each: most of a tiny model's time per token); here it is plain loops and one matrix-vector
 * product per weight (two per key/value head for attention), on the native GEMM where it is built and the
 * WebAssembly GEMM elsewhere. The weights are copied once into the decoder's own buffer with the key/value
 * cache and the activations (a WebAssembly memory the kernels run on, or an ordinary buffer for the native
 * GEMM). The
 * arithmetic is the tfjs path's: RMSNorm with ggml's roundings, interleaved RoPE from the model's tables,
 * grouped-query attention, SwiGLU. Returns null where the WebAssembly kernels are unavailable.
 */
export function fastMiniGptDecoder(
  config: MiniGptConfig,
  weight: (name: string) => tf.Tensor,
  rope: { cos: tf.Tensor2D; sin: tf.Tensor2D },
): IncrementalDecoder | null {
  if (!hasWasmKernels()) return null;
  const { vocabSize, dModel, nLayers, nHeads, dFf, contextLength, normEps, tieEmbeddings } = config;
  const kvHeads = config.nKvHeads ?? nHeads;
  const headDim = dModel / nHeads;
  const kvDim = kvHeads * headDim;
  const group = nHeads / kvHeads;

  const arena = new Arena();
  const names = ['token_embd', 'output_norm', ...(tieEmbeddings ? [] : ['output'])];
  for (let layer = 0; layer < nLayers; layer++)
    for (const part of [
      'attn_norm',
      'attn_q',
      'attn_k',
      'attn_v',
      'attn_output',
      'ffn_norm',
      'ffn_gate',
      'ffn_up',
      'ffn_down',
    ])
      names.push(`blk.${layer}.${part}`);
  const tensors = names.map((name) => [name, weight(name)] as const);
  for (const [name, tensor] of tensors) arena.take(name, tensor.size);
  const cos = arena.take('cos', contextLength * headDim);
  const sin = arena.take('sin', contextLength * headDim);
  const keys = Array.from({ length: nLayers }, (_, layer) =>
    arena.take(`keys.${layer}`, kvHeads * contextLength * headDim),
  ); // [kvHeads, ctx, headDim]
  const values = Array.from({ length: nLayers }, (_, layer) =>
    arena.take(`values.${layer}`, kvHeads * contextLength * headDim),
  );
  const x = arena.take('x', dModel);
  const normed = arena.take('normed', dModel);
  const q = arena.take('q', dModel);
  const k = arena.take('k', kvDim);
  const v = arena.take('v', kvDim);
  const mixed = arena.take('mixed', dModel);
  const residual = arena.take('residual', dModel);
  const gate = arena.take('gate', dFf);
  const up = arena.take('up', dFf);
  const logits = arena.take('logits', vocabSize);
  const scores = arena.take('scores', group * contextLength); // [group, T] of one key/value head
  // The WebAssembly GEMM's scratch for the largest of the products (its one-row path needs little or none).
  const products: Array<[number, number, boolean]> = [
    [dModel, dModel, false],
    [dModel, dFf, false],
    [dFf, dModel, false],
    [dModel, vocabSize, tieEmbeddings],
  ];
  const scratchBytes = Math.max(
    ...products.map(([depth, width, transposed]) => gemmScratchBytes(rowShape(depth, width, transposed))),
    // attention: [group, headDim] · Kᵀ and [group, T] · V at the longest T
    gemmScratchBytes({ ...rowShape(headDim, contextLength, true), m: group }),
    gemmScratchBytes({ ...rowShape(contextLength, headDim, false), m: group }),
  );
  const scratch = arena.take('scratch', scratchBytes / FLOAT);

  // The WebAssembly kernels need the arrays in the memory they run on; the native GEMM takes any Float32Array
  // (and the decoder keeps the GEMM it was made with, even if `useNativeGemm` changes later).
  const native = nativeGemmActive();
  const memory = native ? null : growTo(new WebAssembly.Memory({ initial: 1 }), arena.floats * FLOAT);
  const kernels: KernelExports | null = memory ? kernelsOn(memory) : null;
  const heap = memory ? new Float32Array(memory.buffer, 0, arena.floats) : new Float32Array(arena.floats);
  for (const [name, tensor] of tensors) heap.set(tensor.dataSync() as Float32Array, arena.offsets.get(name)!);
  heap.set(rope.cos.dataSync() as Float32Array, cos);
  heap.set(rope.sin.dataSync() as Float32Array, sin);
  const at = (name: string) => arena.offsets.get(name)!;
  // Every weight's offset, looked up once (not by name on every token).
  const embedding = at('token_embd');
  const blocks = Array.from({ length: nLayers }, (_, layer) => {
    const of = (part: string) => at(`blk.${layer}.${part}`);
    return {
      attnNorm: of('attn_norm'),
      query: of('attn_q'),
      key: of('attn_k'),
      value: of('attn_v'),
      attnOutput: of('attn_output'),
      ffnNorm: of('ffn_norm'),
      ffnGate: of('ffn_gate'),
      ffnUp: of('ffn_up'),
      ffnDown: of('ffn_down'),
    };
  });
  const outputNorm = at('output_norm');
  const head = tieEmbeddings ? embedding : at('output');

  /** out [m, n] = a [m, k] · B, B stored [k, n] (or [n, k] when `transposed`), all offsets in floats. */
  const product = (
    a: number,
    b: number,
    out: number,
    m: number,
    n: number,
    depth: number,
    transposed: boolean,
  ) => {
    const shape = { ...rowShape(depth, n, transposed), m };
    if (!kernels)
      runNativeGemm(
        heap.subarray(a, a + m * depth),
        heap.subarray(b, b + depth * n),
        heap.subarray(out, out + m * n),
        shape,
      );
    else runGemm(kernels, a * FLOAT, b * FLOAT, out * FLOAT, scratch * FLOAT, shape);
  };
  /** out [n] = input [k] · W, W stored [k, n] (or [n, k] when `transposed`: the tied head). */
  const project = (
    input: number,
    weightAt: number,
    out: number,
    depth: number,
    width: number,
    transposed = false,
  ) => product(input, weightAt, out, 1, width, depth, transposed);

  /** out = RMSNorm(heap[x]) · gain, with ggml's roundings (as rms-norm-kernel.ts). */
  const normalize = (gain: number, out: number) => {
    let sum = 0; // double, as ggml
    for (let i = 0; i < dModel; i++) sum += Math.fround(heap[x + i]! * heap[x + i]!);
    const mean = Math.fround(sum / dModel);
    const r = Math.fround(1 / Math.fround(Math.sqrt(Math.fround(mean + Math.fround(normEps)))));
    for (let i = 0; i < dModel; i++) heap[out + i] = Math.fround(heap[x + i]! * r) * heap[gain + i]!;
  };

  /** Interleaved RoPE of `heads` heads at `from`, position `position` (the model's cos/sin tables). */
  const rotate = (from: number, heads: number, position: number) => {
    const table = position * headDim;
    for (let head = 0; head < heads; head++)
      for (let d = 0; d < headDim; d += 2) {
        const i = from + head * headDim + d;
        const even = heap[i]!;
        const odd = heap[i + 1]!;
        heap[i] = even * heap[cos + table + d]! + odd * heap[sin + table + d]!;
        heap[i + 1] = odd * heap[cos + table + d + 1]! + even * heap[sin + table + d + 1]!;
      }
  };

  const scale = 1 / Math.sqrt(headDim);

  /**
   * Attention of the query heads at `q` over positions 0 … position of the layer's cache, into `mixed`: per
   * key/value head, its `group` query heads (contiguous in q) as one [group, headDim] block — scores
   * [group, T] = Q · Kᵀ, a softmax per row, then [group, headDim] = P · V.
   */
  const attend = (layer: number, position: number) => {
    const count = position + 1;
    for (let kvHead = 0; kvHead < kvHeads; kvHead++) {
      const block = kvHead * group * headDim; // query heads kvHead·group … (kvHead + 1)·group − 1, as llama.cpp
      product(
        q + block,
        keys[layer]! + kvHead * contextLength * headDim,
        scores,
        group,
        count,
        headDim,
        true,
      );
      for (let row = 0; row < group; row++) {
        const from = scores + row * count;
        let top = -Infinity;
        for (let t = 0; t < count; t++) top = Math.max(top, heap[from + t]! * scale);
        let total = 0;
        for (let t = 0; t < count; t++) total += heap[from + t] = Math.exp(heap[from + t]! * scale - top);
        for (let t = 0; t < count; t++) heap[from + t]! /= total;
      }
      product(
        scores,
        values[layer]! + kvHead * contextLength * headDim,
        mixed + block,
        group,
        headDim,
        count,
        false,
      );
    }
  };

  /** One token at `position`: the residual stream through every block; logits when `last`. */
  const step = (id: number, position: number, last: boolean) => {
    heap.copyWithin(x, embedding + id * dModel, embedding + (id + 1) * dModel);
    for (let layer = 0; layer < nLayers; layer++) {
      const block = blocks[layer]!;
      normalize(block.attnNorm, normed);
      project(normed, block.query, q, dModel, dModel);
      project(normed, block.key, k, dModel, kvDim);
      project(normed, block.value, v, dModel, kvDim);
      rotate(q, nHeads, position);
      rotate(k, kvHeads, position);
      for (let head = 0; head < kvHeads; head++) {
        const into = (head * contextLength + position) * headDim;
        heap.copyWithin(keys[layer]! + into, k + head * headDim, k + (head + 1) * headDim);
        heap.copyWithin(values[layer]! + into, v + head * headDim, v + (head + 1) * headDim);
      }
      attend(layer, position);
      project(mixed, block.attnOutput, residual, dModel, dModel);
      for (let i = 0; i < dModel; i++) heap[x + i]! += heap[residual + i]!;
      normalize(block.ffnNorm, normed);
      project(normed, block.ffnGate, gate, dModel, dFf);
      project(normed, block.ffnUp, up, dModel, dFf);
      for (let i = 0; i < dFf; i++) {
        const g = heap[gate + i]!;
        heap[gate + i] = g * (1 / (1 + Math.exp(-g))) * heap[up + i]!; // SwiGLU: silu(gate) · up
      }
      project(gate, block.ffnDown, residual, dFf, dModel);
      for (let i = 0; i < dModel; i++) heap[x + i]! += heap[residual + i]!;
    }
    if (!last) return;
    normalize(outputNorm, normed);
    project(normed, head, logits, dModel, vocabSize, tieEmbeddings); // tied: token_embd is [vocab, dModel]
  };

  let length = 0;
  return {
    get length() {
      return length;
    },
    next(ids: readonly number[]) {
      if (ids.length === 0) throw new RangeError('feed at least one token');
      if (length + ids.length > contextLength)
        throw new RangeError(
          `the cache holds ${length} tokens; ${ids.length} more exceed the context of ${contextLength}`,
        );
      for (const id of ids)
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
          throw new RangeError(`token id ${id} is outside the vocabulary of ${vocabSize}`);
      for (const [i, id] of ids.entries()) step(id, length + i, i === ids.length - 1);
      length += ids.length;
      return heap.slice(logits, logits + vocabSize);
    },
    dispose() {
      length = 0; // the memory goes with the closure
    },
  };
}
