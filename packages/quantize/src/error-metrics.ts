/** How far a reconstruction is from the original. */
export interface QuantizationError {
  /** Mean squared error. */
  readonly mse: number;
  /** Largest absolute difference. */
  readonly maxAbsError: number;
  /** Signal-to-noise ratio, 10·log10(Σx² / Σ(x - x̂)²); Infinity when exact. */
  readonly snrDb: number;
  /** Cosine of the angle between the two vectors (1 for identical directions). */
  readonly cosineSimilarity: number;
}

/**
 * Error metrics between original values and their dequantized reconstruction.
 *
 * @example
 * ```ts
 * quantizationError(Float32Array.of(1, 2), Float32Array.of(1, 2.5));
 * // { mse: 0.125, maxAbsError: 0.5, snrDb: 16.02, cosineSimilarity: 0.9965 }
 * ```
 */
export function quantizationError(original: Float32Array, reconstructed: Float32Array): QuantizationError {
  if (original.length !== reconstructed.length)
    throw new RangeError(`lengths differ: ${original.length} vs ${reconstructed.length}`);
  let squaredError = 0;
  let maxAbsError = 0;
  let signal = 0;
  let dot = 0;
  let normReconstructed = 0;
  for (let i = 0; i < original.length; i++) {
    const x = original[i]!;
    const y = reconstructed[i]!;
    const error = x - y;
    squaredError += error * error;
    maxAbsError = Math.max(maxAbsError, Math.abs(error));
    signal += x * x;
    dot += x * y;
    normReconstructed += y * y;
  }
  const n = Math.max(1, original.length);
  return {
    mse: squaredError / n,
    maxAbsError,
    snrDb: squaredError === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(signal / squaredError),
    cosineSimilarity:
      signal === 0 || normReconstructed === 0
        ? signal === normReconstructed
          ? 1
          : 0
        : dot / Math.sqrt(signal * normReconstructed),
  };
}
