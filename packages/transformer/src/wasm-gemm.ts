import { hasWasmKernels, type KernelExports, kernelsOn, privateMemory, runOnCopies } from './wasm-module.js';

/** The shape of one batched product C[batch] (m × n) = op(A[batch]) · op(B[batch]). */
export interface GemmShape {
  readonly batches: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  /** False when A is one matrix used for every batch (broadcast). */
  readonly batchedA: boolean;
  /** False when B is one matrix used for every batch (broadcast). */
  readonly batchedB: boolean;
}

/** Bytes of free memory the kernel needs beside its operands for this shape. */
export function gemmScratchBytes(shape: GemmShape): number {
  return hasWasmKernels() ? kernelsOn(privateMemory()).scratchBytes(shape.m, shape.n, shape.k) : 0;
}

/** Runs the GEMM kernel on operands at byte offsets `a`, `b`, `out` of its memory, scratch at `scratch`. */
export function runGemm(
  kernels: KernelExports,
  a: number,
  b: number,
  out: number,
  scratch: number,
  shape: GemmShape,
): void {
  const { batches, m, n, k } = shape;
  kernels.gemm(
    a,
    b,
    out,
    batches,
    m,
    n,
    k,
    shape.transposeA,
    shape.transposeB,
    shape.batchedA ? m * k : 0,
    shape.batchedB ? k * n : 0,
    scratch,
  );
}

/**
 * out[batch] = op(a[batch]) · op(b[batch]) with the WebAssembly SIMD kernel (packed panels, a 4 × 8 register
 * tile), all row-major float32; op is a transpose when `transposeA`/`transposeB` (a is then stored k × m,
 * b n × k). Copies the operands into a private memory, which grows to fit and is reused.
 *
 * @example
 * ```ts
 * const out = new Float32Array(2 * 2);
 * wasmGemm(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 0, 0, 1), out, {
 *   batches: 1, m: 2, n: 2, k: 2, transposeA: false, transposeB: false, batchedA: true, batchedB: true,
 * }); // out = [1, 2, 3, 4]
 * ```
 */
export function wasmGemm(a: Float32Array, b: Float32Array, out: Float32Array, shape: GemmShape): void {
  if (!hasWasmKernels())
    throw new Error('the WebAssembly SIMD kernels are unavailable here: check hasWasmKernels() first');
  const memory = privateMemory();
  runOnCopies(memory, [a, b], [out], gemmScratchBytes(shape), ([aAt, bAt], [outAt], scratch) =>
    runGemm(kernelsOn(memory), aAt!, bAt!, outAt!, scratch, shape),
  );
}
