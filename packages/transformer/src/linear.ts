import * as tf from '@tensorflow/tfjs';
import { hasFastMatMul } from './fast-kernels.js';

/**
 * `x @ weight` for x [..., in] and weight [in, out]. With lm-stack's GEMM (`registerFastKernels`), tfjs's own
 * matMul and gradient; otherwise a gradient made only of plain, untransposed 2-D matmuls (the transposes
 * are explicit ops): the wasm backend's XNNPACK path takes only that form, and is 10–30× slower on
 * `transposeA`/`transposeB` matmuls, which tfjs's own matMul gradient uses.
 *
 * @example
 * ```ts
 * const y = linear(tf.ones([2, 3, 4]), tf.ones([4, 5])); // [2, 3, 5]
 * ```
 */
export function linear(x: tf.Tensor, weight: tf.Tensor2D): tf.Tensor {
  return overRows(x, weight, (rows) =>
    hasFastMatMul() ? (rows.matMul(weight) as tf.Tensor2D) : matMulPlainGrad(rows, weight),
  );
}

/** Applies a [rows, in] → [rows, out] product to x [..., in], keeping its leading dimensions. */
function overRows(x: tf.Tensor, weight: tf.Tensor2D, product: (rows: tf.Tensor2D) => tf.Tensor2D): tf.Tensor {
  const [inFeatures, outFeatures] = weight.shape;
  const leading = x.shape.slice(0, -1);
  return product(x.reshape([-1, inFeatures]) as tf.Tensor2D).reshape([...leading, outFeatures]);
}

const matMulPlainGrad = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    // dA = dY · Bᵀ, dB = Aᵀ · dY
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedA, savedB] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [
        tf.matMul(dy as tf.Tensor2D, savedB.transpose()),
        tf.matMul(savedA.transpose(), dy as tf.Tensor2D),
      ];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
  a: tf.Tensor2D,
  b: tf.Tensor2D,
) => tf.Tensor2D;

/**
 * `x @ weight` for a weight that gets no gradient (a frozen base under LoRA): the gradient flows to x only
 * (dX = dY · Wᵀ), so backpropagation skips the [in, out] weight gradient that {@link linear} always forms.
 *
 * @example
 * ```ts
 * const y = frozenLinear(tf.ones([2, 3, 4]), tf.ones([4, 5])); // [2, 3, 5]; no gradient for the weight
 * ```
 */
export function frozenLinear(x: tf.Tensor, weight: tf.Tensor2D): tf.Tensor {
  // The weight is captured, not an input: the tape records one op of x alone.
  const product = tf.customGrad(((a: tf.Tensor) => ({
    value: tf.matMul(a as tf.Tensor2D, weight),
    gradFunc: (dy: tf.Tensor) =>
      hasFastMatMul()
        ? tf.matMul(dy as tf.Tensor2D, weight, false, true)
        : tf.matMul(dy as tf.Tensor2D, weight.transpose()),
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor2D) => tf.Tensor2D;
  return overRows(x, weight, product);
}
