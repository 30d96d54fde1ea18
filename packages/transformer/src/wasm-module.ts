import type * as tf from '@tensorflow/tfjs';
import { KERNELS_WASM_BASE64 } from './wasm/kernels.generated.js';

/** The exports of assembly/index.ts. */
export interface KernelExports {
  gemm(
    a: number,
    b: number,
    c: number,
    batches: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    strideA: number,
    strideB: number,
    scratch: number,
  ): void;
  scratchBytes(m: number, n: number, k: number): number;
  lstmCellForward(
    gates: number,
    c: number,
    h: number,
    next: number,
    act: number,
    batch: number,
    hidden: number,
  ): void;
  crossEntropyForward(
    logits: number,
    targets: number,
    losses: number,
    logSumExp: number,
    rows: number,
    vocab: number,
  ): void;
  crossEntropyBackward(
    logits: number,
    targets: number,
    upstream: number,
    logSumExp: number,
    gradient: number,
    rows: number,
    vocab: number,
  ): void;
}

const PAGE = 65_536; // bytes in a WebAssembly memory page

let compiled: WebAssembly.Module | null | undefined;
const instances = new WeakMap<WebAssembly.Memory, KernelExports>();

const bytes = () => Uint8Array.from(atob(KERNELS_WASM_BASE64), (char) => char.charCodeAt(0));

/**
 * Compiles the kernels (10 KB) asynchronously, as browsers require on the main thread for modules over
 * 4 KB; `selectBackend` awaits it. Resolves false where WebAssembly SIMD is unavailable.
 */
export async function compileKernels(): Promise<boolean> {
  if (compiled === undefined) {
    try {
      compiled = await WebAssembly.compile(bytes());
    } catch {
      compiled = null;
    }
  }
  return compiled !== null;
}

/** The compiled kernels: synchronously compiled on first use if `compileKernels` has not run (Node, workers). */
function kernelModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    compiled = new WebAssembly.Module(bytes());
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Whether the WebAssembly SIMD kernels load here. */
export function hasWasmKernels(): boolean {
  return kernelModule() !== null;
}

/** The kernels running on `memory` (the module imports its memory: one instance per memory). */
export function kernelsOn(memory: WebAssembly.Memory): KernelExports {
  let instance = instances.get(memory);
  if (!instance) {
    instance = new WebAssembly.Instance(kernelModule()!, { env: { memory } })
      .exports as unknown as KernelExports;
    instances.set(memory, instance);
  }
  return instance;
}

let ownMemory: WebAssembly.Memory | undefined;

/** A private memory of at least `bytes` bytes, for operands that live outside a wasm heap (the cpu backend). */
export function privateMemory(bytes = 0): WebAssembly.Memory {
  ownMemory ??= new WebAssembly.Memory({ initial: 1 });
  const missing = bytes - ownMemory.buffer.byteLength;
  if (missing > 0) ownMemory.grow(Math.ceil(missing / PAGE));
  return ownMemory;
}

/** What running on the tfjs wasm backend's heap uses of it (`@tensorflow/tfjs-backend-wasm`'s BackendWasm). */
interface WasmHeapBackend {
  wasm: {
    asm?: { memory?: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** What it uses of the cpu backend (`@tensorflow/tfjs-backend-cpu`'s MathBackendCPU). */
interface CpuBackend {
  data: { get(dataId: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** The wasm backend's heap, when this tfjs build exposes it (Emscripten's `asm.memory`). */
function wasmHeap(backend: unknown): WebAssembly.Memory | undefined {
  const memory = (backend as Partial<WasmHeapBackend>).wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

const align = (value: number) => Math.ceil(value / 16) * 16;
const sizeOf = (shape: readonly number[]) => shape.reduce((product, size) => product * size, 1);

/**
 * Runs a kernel of the module on float32 tensors of the wasm or cpu backend: on the wasm backend's heap in
 * place (scratch from its allocator), otherwise on copies in a private memory. `run` gets the instance, the
 * byte offsets of the inputs and outputs, and of `scratchBytes` free bytes.
 */
export function runWasmKernel(
  backend: unknown,
  inputs: readonly tf.TensorInfo[],
  outShapes: readonly number[][],
  scratchBytes: number,
  run: (kernels: KernelExports, inputsAt: number[], outputsAt: number[], scratch: number) => void,
): tf.TensorInfo[] {
  const heap = wasmHeap(backend);
  if (heap) {
    const wasm = backend as WasmHeapBackend;
    const outs = outShapes.map((shape) => wasm.makeOutput([...shape], 'float32'));
    const offset = (info: tf.TensorInfo) => wasm.dataIdMap.get(info.dataId).memoryOffset;
    const scratch = wasm.wasm._malloc(Math.max(16, scratchBytes));
    try {
      run(kernelsOn(heap), inputs.map(offset), outs.map(offset), scratch);
    } finally {
      wasm.wasm._free(scratch);
    }
    return outs;
  }
  const cpu = backend as CpuBackend;
  const values = inputs.map((input) => cpu.data.get(input.dataId).values as Float32Array | Int32Array);
  let end = 0;
  const place = (length: number) => {
    const at = end;
    end = align(end + length * 4);
    return at;
  };
  const inputsAt = values.map((value) => place(value.length));
  const outputsAt = outShapes.map((shape) => place(sizeOf(shape)));
  const scratch = place(scratchBytes / 4);
  const memory = privateMemory(end);
  for (const [i, value] of values.entries()) {
    const View = value instanceof Int32Array ? Int32Array : Float32Array; // int32 ids stay integers
    new View(memory.buffer, inputsAt[i], value.length).set(value);
  }
  run(kernelsOn(memory), inputsAt, outputsAt, scratch);
  return outShapes.map((shape, i) =>
    cpu.makeTensorInfo(
      [...shape],
      'float32',
      new Float32Array(memory.buffer, outputsAt[i], sizeOf(shape)).slice(),
    ),
  );
}
