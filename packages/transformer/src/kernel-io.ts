import * as tf from '@tensorflow/tfjs';

/** What lm-stack's kernels use of the wasm backend (`@tensorflow/tfjs-backend-wasm`'s BackendWasm). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** What they use of the cpu backend (`@tensorflow/tfjs-backend-cpu`'s MathBackendCPU). */
interface CpuBackend {
  data: { get(dataId: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/**
 * Runs a float32 kernel written over plain arrays on the wasm or cpu backend: `compute` gets the inputs'
 * values (an int32 input arrives as an Int32Array) and the output to fill, in the backend's own memory where
 * it has one (the wasm heap).
 */
export function runFloatKernel(
  backend: unknown,
  inputs: readonly tf.TensorInfo[],
  outShape: number[],
  compute: (values: Float32Array[], out: Float32Array) => void,
): tf.TensorInfo {
  return runFloatKernelOutputs(backend, inputs, [outShape], (values, [out]) => compute(values, out!))[0]!;
}

/** {@link runFloatKernel} for a kernel with several outputs. */
export function runFloatKernelOutputs(
  backend: unknown,
  inputs: readonly tf.TensorInfo[],
  outShapes: number[][],
  compute: (values: Float32Array[], outs: Float32Array[]) => void,
): tf.TensorInfo[] {
  if (typeof (backend as WasmBackend).typedArrayFromHeap === 'function') {
    const wasm = backend as WasmBackend;
    const outs = outShapes.map((shape) => wasm.makeOutput(shape, 'float32'));
    // Views after makeOutput: it can grow the heap, which detaches views taken before.
    compute(
      inputs.map((input) => wasm.typedArrayFromHeap(input)),
      outs.map((out) => wasm.typedArrayFromHeap(out)),
    );
    return outs;
  }
  const cpu = backend as CpuBackend;
  const outs = outShapes.map((shape) => new Float32Array(tf.util.sizeFromShape(shape)));
  compute(
    inputs.map((input) => cpu.data.get(input.dataId).values as Float32Array),
    outs,
  );
  return outs.map((out, i) => cpu.makeTensorInfo(outShapes[i]!, 'float32', out));
}

/** A set of lm-stack kernels (and gradients) registered together on the wasm and cpu backends. */
export interface FusedKernels {
  /** Registers the kernels on first use and turns them on, or off (callers then use tfjs ops). */
  use(on: boolean): void;
  /** Whether they are on and serve the active backend. */
  serves(): boolean;
}

/**
 * Declares fused kernels: registered on the wasm and cpu backends the first time they are turned on, with
 * their gradients; `available` says whether they can run here at all (the WebAssembly ones need SIMD).
 * The first kernel is the one `serves` looks up.
 */
export function fusedKernels(
  kernels: ReadonlyArray<readonly [string, tf.KernelFunc]>,
  gradients: readonly tf.GradConfig[] = [],
  available: () => boolean = () => true,
): FusedKernels {
  let registered = false;
  let enabled = false;
  return {
    use(on) {
      enabled = on && available();
      if (registered || !enabled) return;
      registered = true;
      for (const backendName of ['wasm', 'cpu'])
        for (const [kernelName, kernelFunc] of kernels)
          tf.registerKernel({ kernelName, backendName, kernelFunc });
      for (const gradient of gradients) tf.registerGradient(gradient);
    },
    serves: () => enabled && tf.getKernel(kernels[0]![0], tf.getBackend()) !== undefined,
  };
}
