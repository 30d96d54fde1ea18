import * as tf from '@tensorflow/tfjs';
import { fusedKernels, runFloatKernel } from './kernel-io.js';

// RMSNorm in one kernel forward and one per input backward, in place of six tfjs ops forward and a dozen
// backward. Computed with ggml's roundings, so the forward pass gives llama.cpp's values bit for bit.
const RMS_NORM = 'LmStackRmsNorm';
const RMS_NORM_GRAD_X = 'LmStackRmsNormGradX';
const RMS_NORM_GRAD_WEIGHT = 'LmStackRmsNormGradWeight';

interface NormAttributes {
  readonly eps: number;
}

/**
 * r = 1 / sqrt(mean(x²) + eps) of the row of `width` values at `from`, as ggml computes it (ggml-cpu ops.cpp,
 * rms_norm_f32): squares summed in double, then mean, eps (a float32 in GGUF) and 1 / sqrtf in float32.
 */
function inverseRms(x: Float32Array, from: number, width: number, eps: number): number {
  let sum = 0; // double
  for (let i = from; i < from + width; i++) sum += Math.fround(x[i]! * x[i]!);
  const mean = Math.fround(sum / width);
  return Math.fround(1 / Math.fround(Math.sqrt(Math.fround(mean + Math.fround(eps)))));
}

/** y = (x · r) · w per row, rounded as ggml rounds it (the multiply by the weight is its own op there). */
const forward: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, weight } = inputs as { x: tf.TensorInfo; weight: tf.TensorInfo };
  const { eps } = attrs as unknown as NormAttributes;
  const width = x.shape[x.shape.length - 1]!;
  return runFloatKernel(backend, [x, weight], [...x.shape], ([values, gains], out) => {
    for (let row = 0; row < values!.length; row += width) {
      const r = inverseRms(values!, row, width, eps);
      for (let i = 0; i < width; i++) out[row + i] = Math.fround(values![row + i]! * r) * gains![i]!;
    }
  });
};

/** dx = r·u − x·r³·mean(u·x) with u = dy·w, per row. */
const gradX: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { dy, x, weight } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo; weight: tf.TensorInfo };
  const { eps } = attrs as unknown as NormAttributes;
  const width = x.shape[x.shape.length - 1]!;
  return runFloatKernel(backend, [dy, x, weight], [...x.shape], ([upstream, values, gains], out) => {
    for (let row = 0; row < values!.length; row += width) {
      const r = inverseRms(values!, row, width, eps);
      let dot = 0;
      for (let i = 0; i < width; i++) dot += upstream![row + i]! * gains![i]! * values![row + i]!;
      const correction = (r * r * r * dot) / width;
      for (let i = 0; i < width; i++)
        out[row + i] = r * upstream![row + i]! * gains![i]! - values![row + i]! * correction;
    }
  });
};

/** dw = Σ over rows of dy · x · r. */
const gradWeight: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const { eps } = attrs as unknown as NormAttributes;
  const width = x.shape[x.shape.length - 1]!;
  return runFloatKernel(backend, [dy, x], [width], ([upstream, values], out) => {
    const sums = new Float64Array(width);
    for (let row = 0; row < values!.length; row += width) {
      const r = inverseRms(values!, row, width, eps);
      for (let i = 0; i < width; i++) sums[i]! += upstream![row + i]! * values![row + i]! * r;
    }
    out.set(sums);
  });
};

/** The fused RMSNorm kernels and gradient. */
export const rmsNormKernels = fusedKernels(
  [
    [RMS_NORM, forward],
    [RMS_NORM_GRAD_X, gradX],
    [RMS_NORM_GRAD_WEIGHT, gradWeight],
  ],
  [
    {
      kernelName: RMS_NORM,
      inputsToSave: ['x', 'weight'],
      gradFunc: (dy, saved, attrs) => {
        const [x, weight] = saved as [tf.Tensor, tf.Tensor];
        const upstream = dy as tf.Tensor;
        return {
          x: () =>
            tf.engine().runKernel(RMS_NORM_GRAD_X, { dy: upstream, x, weight }, attrs as never) as tf.Tensor,
          weight: () =>
            tf.engine().runKernel(RMS_NORM_GRAD_WEIGHT, { dy: upstream, x }, attrs as never) as tf.Tensor,
        };
      },
    },
  ],
);

/** The fused RMSNorm when it serves the active backend and dtype, else null. */
export function rmsNormKernel(x: tf.Tensor, weight: tf.Tensor1D, eps: number): tf.Tensor | null {
  if (x.dtype !== 'float32' || !rmsNormKernels.serves()) return null;
  return tf.engine().runKernel(RMS_NORM, { x, weight }, { eps } as never) as tf.Tensor;
}
