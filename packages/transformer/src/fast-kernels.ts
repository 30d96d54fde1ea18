import * as tf from '@tensorflow/tfjs';
import { adamWKernels } from './adamw-kernel.js';
import { crossEntropyKernels } from './cross-entropy-kernel.js';
import { runFloatKernel, runFloatKernelOutputs } from './kernel-io.js';
import { lstmCellKernels } from './lstm-cell.js';
import { nativeGemmActive, runNativeGemm } from './native-gemm.js';
import { rmsNormKernels } from './rms-norm-kernel.js';
import { ropeKernels } from './rope-kernel.js';
import { type GemmShape, gemmScratchBytes, runGemm } from './wasm-gemm.js';
import { hasWasmKernels, runWasmKernel } from './wasm-module.js';

type KernelArguments = Parameters<tf.KernelFunc>[0];

const BACKENDS = ['wasm', 'cpu'] as const;
const replaced = new Map<string, tf.KernelConfig>(); // kernel/backend → the kernel it had before

/** op(A) and op(B)'s sizes and batch layout for a BatchMatMul, or null when the kernel cannot take it. */
function gemmShape(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean) {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const [aRows, aColumns] = a.shape.slice(-2) as [number, number];
  const [bRows, bColumns] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [aColumns, aRows] : [aRows, aColumns];
  const n = transposeB ? bRows : bColumns;
  if ((transposeB ? bColumns : bRows) !== k) return null; // the original kernel reports the mismatch
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  // One matrix against a batch, or batches of the same shape; anything else goes to the original kernel.
  const sameOuter = outerA.length === outerB.length && outerA.every((size, i) => size === outerB[i]);
  if (!sameOuter && batchA !== 1 && batchB !== 1) return null;
  const outer = batchA >= batchB ? outerA : outerB;
  return {
    shape: {
      batches: Math.max(batchA, batchB),
      m,
      n,
      k,
      transposeA,
      transposeB,
      batchedA: batchA > 1,
      batchedB: batchB > 1,
    },
    outShape: [...outer, m, n],
  };
}

/** A GEMM on several threads (`useWorkerThreads` in the node entry), or null for one thread. */
type ParallelGemm = (a: Float32Array, b: Float32Array, out: Float32Array, shape: GemmShape) => void;
let parallelGemm: ParallelGemm | null = null;
// Below this many floating-point operations, copying to the threads' shared memory and waking them costs
// more than the second core saves (measured: an 8 MFLOP product takes about 0.4 ms on one thread).
const PARALLEL_FLOPS = 8e6;

/** Installs (or, with null, removes) the multi-threaded GEMM used for large products. */
export function setParallelGemm(gemm: ParallelGemm | null): void {
  parallelGemm = gemm;
}

function fastBatchMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArguments) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const plan = gemmShape(a, b, transposeA, transposeB);
    if (!plan) return original(args);
    const { batches, m, n, k } = plan.shape;
    if (nativeGemmActive())
      return runFloatKernel(args.backend, [a, b], plan.outShape, ([aValues, bValues], out) =>
        runNativeGemm(aValues!, bValues!, out, plan.shape),
      );
    const threads = parallelGemm;
    if (threads && 2 * batches * m * n * k >= PARALLEL_FLOPS)
      return runFloatKernel(args.backend, [a, b], plan.outShape, ([aValues, bValues], out) =>
        threads(aValues!, bValues!, out, plan.shape),
      );
    const [out] = runWasmKernel(
      args.backend,
      [a, b],
      [plan.outShape],
      gemmScratchBytes(plan.shape),
      (kernels, [aAt, bAt], [outAt], scratch) => runGemm(kernels, aAt!, bAt!, outAt!, scratch, plan.shape),
    );
    return out!;
  };
}

/**
 * Unpack (`tf.unstack`, and the gradient of `tf.stack`) of a float32 tensor as runs of contiguous copies;
 * the wasm backend's own copies element by element through slices (a quarter of an LSTM training step).
 */
function fastUnpack(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArguments) => {
    const { value } = args.inputs as { value: tf.TensorInfo };
    if (value.dtype !== 'float32') return original(args);
    const rank = value.shape.length;
    const axis = (((args.attrs as { axis: number }).axis % rank) + rank) % rank;
    const count = value.shape[axis]!;
    const outer = tf.util.sizeFromShape(value.shape.slice(0, axis));
    const inner = tf.util.sizeFromShape(value.shape.slice(axis + 1));
    const outShape = value.shape.filter((_, i) => i !== axis);
    return runFloatKernelOutputs(
      args.backend,
      [value],
      Array.from({ length: count }, () => outShape),
      ([values], outs) => {
        for (let o = 0; o < outer; o++)
          for (let i = 0; i < count; i++) {
            const from = (o * count + i) * inner;
            outs[i]!.set(values!.subarray(from, from + inner), o * inner);
          }
      },
    ) as unknown as tf.TensorInfo;
  };
}

/**
 * Sum of a float32 tensor over its leading axes (the gradient of a broadcast bias: [batch, seq, features] →
 * [features]) or its trailing axes, in the SIMD module (assembly/reduce.ts); tfjs's wasm Sum transposes
 * first when the summed axes lead (19 ms for an LSTM's [16, 128, 1024] gate gradient; 1 ms here).
 */
function fastSum(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArguments) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[] | null; keepDims: boolean };
    const rank = x.shape.length;
    if (x.dtype !== 'float32' || rank === 0) return original(args);
    const requested = axis === null ? x.shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis]; // null: all
    const axes = [...new Set(requested.map((a) => ((a % rank) + rank) % rank))].sort(
      (first, second) => first - second,
    );
    const leading = axes.every((a, i) => a === i);
    const trailing = axes.every((a, i) => a === rank - axes.length + i);
    const kept = x.shape.filter((_, i) => !axes.includes(i));
    const others = tf.util.sizeFromShape(kept);
    // Over leading axes only pays with a row of SIMD width at least (a [n, 1] column stays with tfjs).
    if (axes.length === 0 || (!trailing && !(leading && others >= 4))) return original(args);
    const outShape = keepDims ? x.shape.map((size, i) => (axes.includes(i) ? 1 : size)) : kept;
    const summed = tf.util.sizeFromShape(axes.map((a) => x.shape[a]!));
    const [out] = runWasmKernel(
      args.backend,
      [x],
      [outShape],
      0,
      (kernels, [values], [sums]) =>
        trailing
          ? kernels.sumAlongRows(values!, sums!, others, summed) // [others, summed] → [others]
          : kernels.sumOverRows(values!, sums!, summed, others), // [summed, others] → [others]
    );
    return out!;
  };
}

/**
 * Identity that shares the input's memory (reference-counted, as the wasm backend's own Reshape does and the
 * cpu backend's Identity does) instead of copying it: tfjs clones every tensor it saves for the backward
 * pass, and on the wasm backend each clone was a copy (7% of a tiny training step). Tensors are immutable,
 * so sharing is safe.
 */
function sharedIdentity(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArguments) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const backend = args.backend as { incRef?: (dataId: tf.DataId) => void };
    if (x.dtype === 'string' || typeof backend.incRef !== 'function') return original(args);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** lm-stack's own fused kernels (each with its gradients). */
const FUSED = [ropeKernels, lstmCellKernels, rmsNormKernels, adamWKernels, crossEntropyKernels];

/** The kernels lm-stack replaces, and how, on which backends. */
const REPLACEMENTS: ReadonlyArray<[string, (original: tf.KernelFunc) => tf.KernelFunc, readonly string[]]> = [
  ['BatchMatMul', fastBatchMatMul, BACKENDS],
  ['Unpack', fastUnpack, BACKENDS],
  ['Sum', fastSum, BACKENDS],
  ['Identity', sharedIdentity, ['wasm']], // the cpu backend's Identity already shares
];

/**
 * Turns on lm-stack's fused kernels (RMSNorm, RoPE with the head transpose, the LSTM cell, softmax
 * cross-entropy, each with its gradient; the AdamW update) and makes
 * tfjs's `wasm` and `cpu` backends run every float32 matrix product (`BatchMatMul`: plain, transposed
 * and batched, as in attention and in every gradient) on lm-stack's GEMM: the native AVX2 one where
 * `selectBackend` loaded it (45–60 GFLOP/s on one core), else the WebAssembly SIMD one (packed panels, a
 * 4 × 8 register tile; 9–25 GFLOP/s where tfjs's kernels give 0.5–15); plus `Sum`, `Unpack` and `Identity`
 * kernels that avoid copies. Models need no change.
 * `selectBackend` calls it; returns false where WebAssembly SIMD is unavailable (the tfjs kernels stay).
 * Safe to call more than once; `restoreTfjsKernels` undoes it.
 *
 * @example
 * ```ts
 * registerFastKernels();
 * tf.matMul(q, k, false, true); // [batch, seq, seq] through the SIMD kernel
 * ```
 */
export function registerFastKernels(): boolean {
  for (const kernels of FUSED) kernels.use(true);
  if (!hasWasmKernels()) return false;
  for (const [kernelName, replacement, backends] of REPLACEMENTS)
    for (const backendName of backends) {
      const key = `${kernelName}/${backendName}`;
      if (replaced.has(key)) continue;
      const original = tf.getKernel(kernelName, backendName);
      if (!original) continue; // backend not loaded
      tf.unregisterKernel(kernelName, backendName);
      tf.registerKernel({ ...original, kernelFunc: replacement(original.kernelFunc) });
      replaced.set(key, original);
    }
  return true;
}

/**
 * Puts tfjs's own kernels back and turns lm-stack's fused kernels off (for comparisons and benchmarks).
 *
 * @example
 * ```ts
 * restoreTfjsKernels(); // time tfjs alone
 * registerFastKernels(); // and back
 * ```
 */
export function restoreTfjsKernels(): void {
  for (const kernels of FUSED) kernels.use(false);
  for (const original of replaced.values()) {
    tf.unregisterKernel(original.kernelName, original.backendName);
    tf.registerKernel(original);
  }
  replaced.clear();
}

/** Whether the active backend's BatchMatMul is lm-stack's SIMD GEMM (transposed operands then cost nothing extra). */
export function hasFastMatMul(): boolean {
  return replaced.has(`BatchMatMul/${tf.getBackend()}`);
}
