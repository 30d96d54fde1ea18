import * as tf from '@tensorflow/tfjs';
import { fusedKernels } from './kernel-io.js';
import { hasWasmKernels, runWasmKernel } from './wasm-module.js';

// Per-token softmax cross-entropy in one kernel forward and one backward (assembly/cross-entropy.ts).
const CROSS_ENTROPY = 'LmStackCrossEntropy';
const CROSS_ENTROPY_GRAD = 'LmStackCrossEntropyGrad';

/** logits [tokens, vocab], targets [tokens] int32 → losses [tokens] (−log softmax at the target), logsumexp [tokens]. */
const forward: tf.KernelFunc = ({ inputs, backend }) => {
  const { logits, targets } = inputs as { logits: tf.TensorInfo; targets: tf.TensorInfo };
  const [rows, vocab] = logits.shape as [number, number];
  return runWasmKernel(backend, [logits, targets], [[rows], [rows]], 0, (kernels, [l, t], [losses, lse]) =>
    kernels.crossEntropyForward(l!, t!, losses!, lse!, rows, vocab),
  );
};

/** d logits = upstream · (softmax − one-hot). */
const backward: tf.KernelFunc = ({ inputs, backend }) => {
  const { logits, targets, dy, logSumExp } = inputs as Record<string, tf.TensorInfo>;
  const [rows, vocab] = logits!.shape as [number, number];
  const [gradient] = runWasmKernel(
    backend,
    [logits!, targets!, dy!, logSumExp!],
    [[rows, vocab]],
    0,
    (kernels, [l, t, upstream, lse], [out]) =>
      kernels.crossEntropyBackward(l!, t!, upstream!, lse!, out!, rows, vocab),
  );
  return gradient!;
};

/** The fused cross-entropy kernels and gradient (WebAssembly). */
export const crossEntropyKernels = fusedKernels(
  [
    [CROSS_ENTROPY, forward],
    [CROSS_ENTROPY_GRAD, backward],
  ],
  [
    {
      kernelName: CROSS_ENTROPY,
      inputsToSave: ['logits', 'targets'],
      outputsToSave: [false, true],
      gradFunc: (dys, saved) => {
        const [dy] = dys as tf.Tensor[];
        const [logits, targets, logSumExp] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        return {
          logits: () =>
            tf.engine().runKernel(CROSS_ENTROPY_GRAD, { logits, targets, dy: dy!, logSumExp }) as tf.Tensor,
          targets: () => tf.zerosLike(targets),
        };
      },
    },
  ],
  hasWasmKernels,
);

/**
 * −log softmax(logits)[target] per token (logits [tokens, vocab] float32, targets [tokens] int32) in one fused
 * kernel, or null when it does not serve the active backend or a target is outside the vocabulary (the kernel
 * indexes rows by target; tfjs's one-hot would give it probability 0).
 */
export function crossEntropyKernel(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D | null {
  if (logits.dtype !== 'float32' || !crossEntropyKernels.serves()) return null;
  const vocab = logits.shape[1];
  const ids = targets.dataSync();
  for (const id of ids) if (!(id >= 0 && id < vocab)) return null;
  const [losses] = tf.engine().runKernel(CROSS_ENTROPY, { logits, targets }) as unknown as [
    tf.Tensor1D,
    tf.Tensor1D,
  ];
  return losses!;
}
