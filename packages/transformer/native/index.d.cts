/**
 * out[batch] = op(a[batch]) · op(b[batch]), row-major float32, with the AVX2 + FMA kernel; a advances
 * strideA floats a batch and b strideB (0 broadcasts one matrix). Throws a RangeError when an array is
 * shorter than its shape and stride need.
 */
export type NativeGemm = (
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  batches: number,
  m: number,
  n: number,
  k: number,
  transposeA: boolean,
  transposeB: boolean,
  strideA: number,
  strideB: number,
) => void;

/** The native GEMM, or null where it is unavailable (then `reason` says why). */
export declare const gemm: NativeGemm | null;
/** Uses `count` threads (the caller's included) for large products; returns the count in use (null: no addon). */
export declare const setThreads: ((count: number) => number) | null;
/** How many products have run on several threads (null: no addon). */
export declare const parallelJobs: (() => number) | null;
/** Why `gemm` is null; empty when it is available. */
export declare const reason: string;
