import type * as tf from '@tensorflow/tfjs';
import { rmsNormKernel } from './rms-norm-kernel.js';

/**
 * RMSNorm over the last axis (Zhang & Sennrich 2019; llama.cpp's `rms_norm` then a multiply by the weight):
 * x / sqrt(mean(x²) + eps) · weight.
 *
 * @example
 * ```ts
 * rmsNorm(tf.tensor2d([[3, 4]]), tf.ones([2]), 0); // [[0.8485, 1.1314]]: rms = sqrt(12.5)
 * ```
 */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor1D, eps: number): tf.Tensor {
  const fused = rmsNormKernel(x, weight, eps); // one kernel on wasm and cpu after registerFastKernels
  if (fused) return fused;
  const meanSquare = x.square().mean(-1, true);
  return x.mul(meanSquare.add(eps).rsqrt()).mul(weight);
}
