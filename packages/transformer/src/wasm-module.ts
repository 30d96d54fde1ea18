import type * as tf from '@tensorflow/tfjs';
import { runFloatKernelOutputs } from './kernel-io.js';
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
  sumOverRows(x: number, out: number, outer: number, inner: number): void;
  sumAlongRows(x: number, out: number, outer: number, inner: number): void;
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

/** Grows `memory` to at least `bytes` bytes. */
export function growTo(memory: WebAssembly.Memory, bytes: number): WebAssembly.Memory {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
  return memory;
}

let ownMemory: WebAssembly.Memory | undefined;

/** A private memory, for operands that live outside a wasm heap (the cpu backend). */
export function privateMemory(): WebAssembly.Memory {
  ownMemory ??= new WebAssembly.Memory({ initial: 1 });
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

/** The wasm backend's heap, when this tfjs build exposes it (Emscripten's `asm.memory`). */
function wasmHeap(backend: unknown): WebAssembly.Memory | undefined {
  const memory = (backend as Partial<WasmHeapBackend>).wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/** `value` rounded up to a multiple of 16 (a SIMD vector). */
export const align = (value: number) => Math.ceil(value / 16) * 16;

/**
 * Copies `inputs` into `memory` (grown to fit), 16-byte aligned one after another, then the outputs' places
 * and `scratchBytes` free bytes; calls `run` with their byte offsets; copies the results into `outputs`.
 * For operands that live outside the memory a kernel runs on (the cpu backend, the threads' shared memory).
 */
export function runOnCopies(
  memory: WebAssembly.Memory,
  inputs: ReadonlyArray<Float32Array | Int32Array>,
  outputs: readonly Float32Array[],
  scratchBytes: number,
  run: (inputsAt: number[], outputsAt: number[], scratch: number) => void,
): void {
  let end = 0;
  const place = (bytes: number) => {
    const at = end;
    end = align(end + bytes);
    return at;
  };
  const inputsAt = inputs.map((input) => place(input.byteLength));
  const outputsAt = outputs.map((output) => place(output.byteLength));
  const scratch = place(scratchBytes);
  growTo(memory, end);
  for (const [i, input] of inputs.entries()) {
    const View = input instanceof Int32Array ? Int32Array : Float32Array; // int32 ids stay integers
    new View(memory.buffer, inputsAt[i], input.length).set(input);
  }
  run(inputsAt, outputsAt, scratch);
  for (const [i, output] of outputs.entries())
    output.set(new Float32Array(memory.buffer, outputsAt[i], output.length));
}

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
  // The cpu backend (or a wasm build that hides its heap): on copies
  const memory = privateMemory();
  return runFloatKernelOutputs(backend, inputs, [...outShapes], (values, outs) =>
    runOnCopies(memory, values, outs, scratchBytes, (inputsAt, outputsAt, scratch) =>
      run(kernelsOn(memory), inputsAt, outputsAt, scratch),
    ),
  );
}
