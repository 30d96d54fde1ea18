import * as tf from '@tensorflow/tfjs';
import { fusedKernels, runFloatKernel } from './kernel-io.js';

// One kernel for RoPE and the [batch, seq, heads, headDim] → [batch, heads, seq, headDim] transpose that
// attention needs after it, and one for its gradient: tfjs's composite (reverse, two multiplies, an add and
// a transpose, each with its gradient) was a fifth of a training step on the wasm backend.
const ROPE_HEADS = 'LmStackRopeHeads';
const ROPE_HEADS_GRAD = 'LmStackRopeHeadsGrad';

interface RopeAttributes {
  readonly offset: number;
}

/**
 * out[b, h, t, 2i] = x[b, t, h, 2i]·cos[o+t, 2i] + x[b, t, h, 2i+1]·sin[o+t, 2i], and
 * out[b, h, t, 2i+1] = x[b, t, h, 2i+1]·cos[o+t, 2i+1] + x[b, t, h, 2i]·sin[o+t, 2i+1] (rope.ts's tables carry
 * −sin in the first slot of a pair). With `inverse`, the rotation by −θ from [b, h, t] back to [b, t, h]: the
 * gradient, since a rotation's transpose is its inverse.
 */
function rotate(
  x: Float32Array,
  cos: Float32Array,
  sin: Float32Array,
  out: Float32Array,
  [batch, seq, heads, headDim]: readonly [number, number, number, number],
  offset: number,
  inverse: boolean,
): void {
  const sign = inverse ? -1 : 1;
  for (let b = 0; b < batch; b++)
    for (let t = 0; t < seq; t++) {
      const table = (offset + t) * headDim;
      for (let h = 0; h < heads; h++) {
        const timeMajor = ((b * seq + t) * heads + h) * headDim; // [b, t, h, :]
        const headMajor = ((b * heads + h) * seq + t) * headDim; // [b, h, t, :]
        const from = inverse ? headMajor : timeMajor;
        const to = inverse ? timeMajor : headMajor;
        for (let i = 0; i < headDim; i += 2) {
          const even = x[from + i]!;
          const odd = x[from + i + 1]!;
          out[to + i] = even * cos[table + i]! + sign * odd * sin[table + i]!;
          out[to + i + 1] = odd * cos[table + i + 1]! + sign * even * sin[table + i + 1]!;
        }
      }
    }
}

function ropeKernel(inverse: boolean): tf.KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const { x, cos, sin } = inputs as { x: tf.TensorInfo; cos: tf.TensorInfo; sin: tf.TensorInfo };
    const { offset } = attrs as unknown as RopeAttributes;
    const [d0, d1, d2, headDim] = x.shape as [number, number, number, number];
    // forward: x [batch, seq, heads, headDim] → [batch, heads, seq, headDim]; inverse: the other way
    const shape: [number, number, number, number] = inverse ? [d0, d2, d1, headDim] : [d0, d1, d2, headDim];
    return runFloatKernel(
      backend,
      [x, cos, sin],
      [d0, d2, d1, headDim],
      ([xValues, cosValues, sinValues], out) =>
        rotate(xValues!, cosValues!, sinValues!, out, shape, offset, inverse),
    );
  };
}

/** The fused RoPE kernels and gradient. */
export const ropeKernels = fusedKernels(
  [
    [ROPE_HEADS, ropeKernel(false)],
    [ROPE_HEADS_GRAD, ropeKernel(true)],
  ],
  [
    {
      kernelName: ROPE_HEADS,
      inputsToSave: ['cos', 'sin'],
      gradFunc: (dy, saved, attrs) => {
        const [cos, sin] = saved as [tf.Tensor, tf.Tensor];
        return {
          x: () =>
            tf
              .engine()
              .runKernel(ROPE_HEADS_GRAD, { x: dy as tf.Tensor, cos, sin }, attrs as never) as tf.Tensor,
        };
      },
    },
  ],
);

/**
 * RoPE on x [batch, seq, heads, headDim] at positions offset … offset + seq − 1, returned as
 * [batch, heads, seq, headDim], in one fused kernel (with a fused gradient).
 */
export function ropeHeadsKernel(
  x: tf.Tensor4D,
  cos: tf.Tensor2D,
  sin: tf.Tensor2D,
  offset: number,
): tf.Tensor4D {
  return tf.engine().runKernel(ROPE_HEADS, { x, cos, sin }, { offset } as never) as tf.Tensor4D;
}
