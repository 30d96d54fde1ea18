import type { GemmShape } from './wasm-gemm.js';

/** The addon's GEMM (`native/addon.c`): operands as Float32Arrays, sizes and strides in floats. */
type AddonGemm = (
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

/** Whether the native GEMM runs the products, and if not, why. */
export interface NativeGemmStatus {
  /** True when `BatchMatMul` runs on the AVX2 + FMA addon. */
  readonly active: boolean;
  /** Why it is not active (empty when it is). */
  readonly reason: string;
}

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
// The package's own `./native` export (a CommonJS loader beside the addon), by a name bundlers do not see.
const NATIVE_MODULE = '@lm-stack/transformer/native';

/** The `./native` export (native/index.cjs): null members when the addon is unavailable. */
interface NativeModule {
  gemm: AddonGemm | null;
  setThreads: ((count: number) => number) | null;
  parallelJobs: (() => number) | null;
  reason: string;
}

let native: NativeModule | null = null;
let threads = 1;
let loadReason = 'not loaded yet: selectBackend() loads it on Node';
let wanted = true;

/**
 * Loads the AVX2 + FMA GEMM addon (Node on x86-64; compiled at install by `native/build.mjs` with the system C
 * compiler) once. `selectBackend` calls it; where the addon is absent the WebAssembly kernels stay.
 *
 * @example
 * ```ts
 * const { active, reason } = await loadNativeGemm();
 * if (!active) console.log(`WebAssembly GEMM: ${reason}`); // e.g. no C compiler at install
 * ```
 */
export async function loadNativeGemm(): Promise<NativeGemmStatus> {
  if (native?.gemm || !isNode) return nativeGemmStatus();
  try {
    const loaded = (await import(
      /* @vite-ignore */ /* webpackIgnore: true */ NATIVE_MODULE
    )) as NativeModule & {
      default?: NativeModule;
    };
    native = loaded.default ?? loaded; // CommonJS through import()
    loadReason = native.reason;
    native.setThreads?.(threads);
  } catch (error) {
    loadReason = `${NATIVE_MODULE} did not load: ${(error as Error).message.split('\n')[0]}`;
  }
  return nativeGemmStatus();
}

/**
 * Turns the native GEMM on (the default once loaded) or off, so that products run on the WebAssembly
 * kernel; returns whether it is active.
 *
 * @example
 * ```ts
 * await selectBackend('wasm');
 * useNativeGemm(false); // time the WebAssembly GEMM
 * useNativeGemm(true); // back to AVX2 where the addon loaded
 * ```
 */
export function useNativeGemm(on: boolean): boolean {
  wanted = on;
  return nativeGemmStatus().active;
}

/**
 * Whether matrix products run on the native AVX2 + FMA GEMM, and if not, why.
 *
 * @example
 * ```ts
 * await selectBackend();
 * nativeGemmStatus(); // { active: true, reason: '' } on an x86-64 Node with a C compiler at install
 * ```
 */
export function nativeGemmStatus(): NativeGemmStatus {
  if (!isNode) return { active: false, reason: 'the native GEMM is a Node addon' };
  if (!native?.gemm) return { active: false, reason: loadReason };
  return wanted
    ? { active: true, reason: '' }
    : { active: false, reason: 'turned off by useNativeGemm(false)' };
}

/** Sets the native GEMM's thread count (`useWorkerThreads` in the node entry); kept for a later load. */
export function setNativeThreads(count: number): number {
  threads = count;
  return native?.setThreads?.(count) ?? count;
}

/** How many products the native GEMM has run on several threads. */
export function nativeParallelJobs(): number {
  return native?.parallelJobs?.() ?? 0;
}

/** Whether products should run on the native GEMM now. */
export function nativeGemmActive(): boolean {
  return wanted && !!native?.gemm;
}

/** out = op(a) · op(b) on the native GEMM (check {@link nativeGemmActive} first). */
export function runNativeGemm(a: Float32Array, b: Float32Array, out: Float32Array, shape: GemmShape): void {
  const { batches, m, n, k, transposeA, transposeB, batchedA, batchedB } = shape;
  native!.gemm!(
    a,
    b,
    out,
    batches,
    m,
    n,
    k,
    transposeA,
    transposeB,
    batchedA ? m * k : 0,
    batchedB ? k * n : 0,
  );
}
