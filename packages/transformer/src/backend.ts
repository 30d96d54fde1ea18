import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { BackendUnavailableError } from './errors.js';
import { registerFastKernels } from './fast-kernels.js';
import { loadNativeGemm } from './native-gemm.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';
import { compileKernels } from './wasm-module.js';

/** The tfjs backends lm-stack trains on. */
export type BackendName = 'cpu' | 'wasm' | 'tensorflow' | 'webgl' | 'webgpu';

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

/** Imports a module by a name bundlers do not see, so an optional peer that is absent cannot break a build. */
async function importOptional(name: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ /* webpackIgnore: true */ name);
    return true;
  } catch {
    return false;
  }
}

let nativePackage: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node' | undefined;

/** Which native binding provides the `tensorflow` backend once selected: the GPU build or the CPU one. */
export function nativeBinding(): typeof nativePackage {
  return nativePackage;
}

async function activate(name: BackendName): Promise<void> {
  if (name === 'tensorflow') {
    for (const candidate of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const)
      if (!nativePackage && isNode && (await importOptional(candidate))) nativePackage = candidate;
    if (!nativePackage || !tf.findBackend('tensorflow'))
      throw new BackendUnavailableError(
        name,
        isNode
          ? 'needs @tensorflow/tfjs-node (CPU, libtensorflow) or @tensorflow/tfjs-node-gpu (CUDA), optional peer dependencies that are not installed: `npm install @tensorflow/tfjs-node`. Their install downloads libtensorflow, so it fails offline; "wasm" is the fastest backend without it.'
          : 'runs only in Node.js',
      );
  }
  if (
    name === 'webgpu' &&
    !tf.findBackend('webgpu') &&
    !(await importOptional('@tensorflow/tfjs-backend-webgpu'))
  )
    throw new BackendUnavailableError(
      name,
      'needs @tensorflow/tfjs-backend-webgpu: `npm install @tensorflow/tfjs-backend-webgpu`',
    );
  if (name === 'webgl' && isNode) throw new BackendUnavailableError(name, 'runs only in browsers');
  if (name === 'wasm') registerWasmTrainingKernels();
  if (name === 'wasm' || name === 'cpu') {
    await compileKernels(); // asynchronously: browsers refuse to compile modules over 4 KB synchronously
    await loadNativeGemm(); // Node on x86-64: the AVX2 GEMM addon, where it was built at install
    registerFastKernels(); // tfjs's kernels stay where WebAssembly SIMD is missing
  }
  if (!(await tf.setBackend(name)))
    throw new BackendUnavailableError(name, 'failed to initialise on this platform');
  await tf.ready();
}

/**
 * Chooses the tfjs backend. With a name, that backend or a {@link BackendUnavailableError} saying what to
 * install. Without one, the fastest present: on Node `tensorflow` (when `@tensorflow/tfjs-node(-gpu)` is
 * installed) else `wasm` (XNNPACK, with the gradient kernels it lacks registered); in browsers `webgpu`
 * (when its package is loaded), `webgl`, then `wasm`.
 *
 * @example
 * ```ts
 * const backend = await selectBackend(); // 'wasm' on Node without tfjs-node
 * await selectBackend('cpu'); // the reference backend: slow, deterministic
 * ```
 */
export async function selectBackend(name?: BackendName): Promise<BackendName> {
  if (name) {
    await activate(name);
    return name;
  }
  const order: BackendName[] = isNode ? ['tensorflow', 'wasm', 'cpu'] : ['webgpu', 'webgl', 'wasm', 'cpu'];
  for (const candidate of order) {
    try {
      await activate(candidate);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new BackendUnavailableError('any', 'no tfjs backend could be initialised');
}

/**
 * Throws a {@link BackendUnavailableError} that says what to do when no tfjs backend is ready yet (the wasm
 * backend, registered on import, initialises asynchronously), instead of tfjs's own message deep inside the
 * first tensor operation.
 *
 * @example
 * ```ts
 * requireReadyBackend(); // before building a model
 * ```
 */
export function requireReadyBackend(): void {
  let ready: boolean;
  try {
    ready = tf.engine().backendName !== undefined && tf.engine().backend !== undefined;
  } catch {
    ready = false;
  }
  if (!ready)
    throw new BackendUnavailableError(
      tf.engine().backendName ?? 'default',
      'is not initialised yet: call `await selectBackend()` (or `await tf.setBackend(...)`) before building a model',
    );
}
