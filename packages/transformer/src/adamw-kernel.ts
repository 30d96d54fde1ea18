import * as tf from '@tensorflow/tfjs';
import { fusedKernels, runFloatKernelOutputs } from './kernel-io.js';

// One AdamW update of a parameter in one kernel (new parameter, first and second moment), in place of a
// dozen tfjs ops, each a pass over the parameter.
const ADAMW = 'LmStackAdamW';

/** The constants of one update (see AdamW in adamw.ts). */
export interface AdamWStep {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** 1 − lr·λ where the parameter decays, else 1. */
  readonly decay: number;
  /** 1 − β1^t and 1 − β2^t. */
  readonly correction1: number;
  readonly correction2: number;
}

const kernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { parameter, m, v, gradient } = inputs as Record<string, tf.TensorInfo>;
  const { learningRate, beta1, beta2, eps, decay, correction1, correction2 } = attrs as unknown as AdamWStep;
  const shape = [...parameter!.shape];
  const stepSize = learningRate / correction1;
  const rootCorrection2 = Math.sqrt(correction2);
  return runFloatKernelOutputs(
    backend,
    [parameter!, m!, v!, gradient!],
    [shape, shape, shape],
    ([p, first, second, g], [pOut, firstOut, secondOut]) => {
      for (let i = 0; i < p!.length; i++) {
        const grad = g![i]!;
        const m1 = first![i]! * beta1 + grad * (1 - beta1);
        const v1 = second![i]! * beta2 + grad * grad * (1 - beta2);
        firstOut![i] = m1;
        secondOut![i] = v1;
        pOut![i] = p![i]! * decay - (m1 / (Math.sqrt(v1) / rootCorrection2 + eps)) * stepSize;
      }
    },
  );
};

/** The fused AdamW update kernel. */
export const adamWKernels = fusedKernels([[ADAMW, kernel]]);

/**
 * One fused AdamW update when the kernel serves the active backend: [parameter, m, v] after the step, or
 * null (the caller then uses tfjs ops).
 */
export function adamWKernel(
  parameter: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  gradient: tf.Tensor,
  step: AdamWStep,
): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (parameter.dtype !== 'float32' || !adamWKernels.serves()) return null;
  return tf.engine().runKernel(ADAMW, { parameter, m, v, gradient }, step as never) as unknown as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}
