import * as tf from '@tensorflow/tfjs';
import { crossEntropyKernel } from './cross-entropy-kernel.js';

/**
 * Mean cross-entropy of logits [batch, seq, vocab] against targets [batch, seq], weighted per token:
 * Σ wᵢ · (−log softmax(logitsᵢ)[targetᵢ]) / Σ wᵢ. Tokens with weight 0 (prompt tokens of chat data,
 * padding) contribute exactly zero to the loss and its gradient. Without weights every token counts 1.
 *
 * @example
 * ```ts
 * const loss = maskedCrossEntropy(logits, targets, weights); // scalar
 * ```
 */
export function maskedCrossEntropy(
  logits: tf.Tensor3D,
  targets: tf.Tensor2D,
  weights?: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    const vocab = logits.shape[2];
    const flat = logits.reshape([-1, vocab]); // [tokens, vocab]
    // One fused kernel on wasm and cpu after registerFastKernels: −log p(target) per token
    const losses = crossEntropyKernel(flat as tf.Tensor2D, targets.reshape([-1]).toInt() as tf.Tensor1D);
    if (losses) {
      if (!weights) return losses.mean() as tf.Scalar;
      const w = weights.reshape([-1]);
      return losses.mul(w).sum().div(w.sum().maximum(1e-12)) as tf.Scalar;
    }
    const picked = tf
      .oneHot(targets.reshape([-1]).toInt(), vocab)
      .mul(tf.logSoftmax(flat))
      .sum(-1); // log p(target)
    if (!weights) return picked.mean().neg() as tf.Scalar;
    const w = weights.reshape([-1]);
    return picked.mul(w).sum().neg().div(w.sum().maximum(1e-12)) as tf.Scalar;
  });
}
