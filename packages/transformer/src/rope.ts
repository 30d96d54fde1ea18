import * as tf from '@tensorflow/tfjs';
import { ropeHeadsKernel, ropeKernels } from './rope-kernel.js';

/**
 * Rotary position tables in llama.cpp's convention (`LLAMA_ROPE_TYPE_NORM`): adjacent pairs (2i, 2i+1) of a
 * head are rotated by θ = pos · base^(−2i / headDim), so GGUF export needs no permutation. Returns, for
 * positions 0 … contextLength−1, `cos` with each angle's cosine in both slots of its pair, and `sin` with
 * −sin in the first slot and +sin in the second, both [contextLength, headDim].
 *
 * @example
 * ```ts
 * const { cos, sin } = ropeTables(128, 32, 10_000);
 * ```
 */
export function ropeTables(
  contextLength: number,
  headDim: number,
  base: number,
): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const cos = new Float32Array(contextLength * headDim);
  const sin = new Float32Array(contextLength * headDim);
  // ggml-cpu ops.cpp, ggml_rope_cache_init: θ starts at the position and is multiplied by
  // powf(base, −2 / headDim) once per pair, in float32. Computing the same float32 angles (rather than
  // pos · base^(−2i/d) in float64) keeps the rotated keys identical to llama.cpp's at long positions.
  const thetaScale = Math.fround(Math.fround(base) ** Math.fround(-2 / headDim));
  for (let position = 0; position < contextLength; position++) {
    let angle = Math.fround(position);
    for (let i = 0; i < headDim / 2; i++, angle = Math.fround(angle * thetaScale)) {
      const at = position * headDim + 2 * i;
      cos[at] = cos[at + 1] = Math.cos(angle);
      sin[at] = -Math.sin(angle);
      sin[at + 1] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [contextLength, headDim]), sin: tf.tensor2d(sin, [contextLength, headDim]) };
}

/** (x0, x1, x2, x3, …) → (x1, x0, x3, x2, …) along the last axis. */
function swapPairs(x: tf.Tensor): tf.Tensor {
  const shape = x.shape;
  const last = shape[shape.length - 1]!;
  return x
    .reshape([...shape.slice(0, -1), last / 2, 2])
    .reverse(-1)
    .reshape(shape);
}

/**
 * Rotates queries or keys x [batch, seq, heads, headDim] by position (the first at `offset`):
 * out[2i] = x[2i]·cos − x[2i+1]·sin, out[2i+1] = x[2i+1]·cos + x[2i]·sin.
 *
 * @example
 * ```ts
 * const rotated = applyRope(q, cos, sin); // q: [batch, seq, heads, headDim]
 * ```
 */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D, offset = 0): tf.Tensor4D {
  const [, seq, , headDim] = x.shape;
  // positions offset … offset + seq − 1; [seq, headDim] → [1, seq, 1, headDim], broadcast over batch and heads
  const c = cos.slice([offset, 0], [seq, headDim]).reshape([1, seq, 1, headDim]);
  const s = sin.slice([offset, 0], [seq, headDim]).reshape([1, seq, 1, headDim]);
  return x.mul(c).add(swapPairs(x).mul(s)) as tf.Tensor4D;
}

/**
 * RoPE on x [batch, seq, heads, headDim] (positions from `offset`), returned as [batch, heads, seq, headDim]
 * for attention: one fused kernel on the wasm and cpu backends (after `registerFastKernels`), `applyRope` and
 * a transpose elsewhere. Same values either way.
 *
 * @example
 * ```ts
 * const q = ropeHeads(queries, cos, sin); // [batch, seq, heads, headDim] → [batch, heads, seq, headDim]
 * ```
 */
export function ropeHeads(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D, offset = 0): tf.Tensor4D {
  if (ropeKernels.serves()) return ropeHeadsKernel(x, cos, sin, offset);
  return applyRope(x, cos, sin, offset).transpose([0, 2, 1, 3]) as tf.Tensor4D;
}
