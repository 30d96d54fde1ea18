import { NonFiniteValueError } from './errors.js';
import { KERNELS_WASM_BASE64 } from './wasm/kernels.generated.js';

type Kernel = (source: number, destination: number, blocks: number) => void;

interface KernelExports {
  readonly memory: WebAssembly.Memory;
  readonly SCRATCH_BYTES: WebAssembly.Global;
  init(base: number): void;
  heapBase(): number;
  readonly [name: string]: unknown;
}

/** The types with a WebAssembly kernel, and their block geometry (ggml-common.h). */
const GEOMETRY = new Map<string, { blockSize: number; typeSize: number }>([
  ['Q8_0', { blockSize: 32, typeSize: 34 }],
  ['Q4_0', { blockSize: 32, typeSize: 18 }],
  ['Q4_K', { blockSize: 256, typeSize: 144 }],
  ['Q6_K', { blockSize: 256, typeSize: 210 }],
]);

/** Elements per call into the module (256 KiB of floats): the kernel output is copied out while still in L2, and the module stays under 1 MiB whatever the tensor. */
const CHUNK_ELEMENTS = 1 << 16;
const PAGE = 65536;

let loaded: { exports: KernelExports; base: number } | null | undefined;

/** Instantiates the module once; null where WebAssembly SIMD or synchronous compilation is unavailable. */
function kernels(): { exports: KernelExports; base: number } | null {
  if (loaded !== undefined) return loaded;
  try {
    const bytes = Uint8Array.from(atob(KERNELS_WASM_BASE64), (char) => char.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: {
        abort() {
          throw new Error('quantize kernel aborted');
        },
      },
    });
    const exports = instance.exports as unknown as KernelExports;
    const scratch = align(exports.heapBase(), 16);
    exports.init(scratch);
    loaded = { exports, base: align(scratch + Number(exports.SCRATCH_BYTES.value), 16) };
  } catch {
    loaded = null;
  }
  return loaded;
}

function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}

function ensureMemory(memory: WebAssembly.Memory, bytes: number): void {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
}

/** Whether a WebAssembly kernel exists for `type` and the module loads here. */
export function hasWasmKernel(type: string): boolean {
  return GEOMETRY.has(type) && kernels() !== null;
}

/**
 * Quantizes whole blocks with the WebAssembly kernel into `out`, checking for NaN and ±Infinity on the way
 * (a SIMD scan of the copied input, much cheaper than a JavaScript loop).
 */
export function wasmQuantize(type: string, data: Float32Array, out: Uint8Array): void {
  const { exports, base } = kernels()!;
  const { blockSize, typeSize } = GEOMETRY.get(type)!;
  const kernel = exports[`quantize${type}`] as Kernel;
  const chunkBlocks = Math.max(1, Math.floor(CHUNK_ELEMENTS / blockSize));
  const totalBlocks = data.length / blockSize;
  for (let block = 0; block < totalBlocks; block += chunkBlocks) {
    const blocks = Math.min(chunkBlocks, totalBlocks - block);
    const input = base;
    const output = align(input + blocks * blockSize * 4, 16);
    ensureMemory(exports.memory, output + blocks * typeSize);
    new Float32Array(exports.memory.buffer, input, blocks * blockSize).set(
      data.subarray(block * blockSize, (block + blocks) * blockSize),
    );
    const bad = (exports.firstNonFinite as (source: number, count: number) => number)(
      input,
      blocks * blockSize,
    );
    if (bad !== -1) throw new NonFiniteValueError(block * blockSize + bad, data[block * blockSize + bad]!);
    kernel(input, output, blocks);
    out.set(new Uint8Array(exports.memory.buffer, output, blocks * typeSize), block * typeSize);
  }
}

/** Dequantizes whole blocks with the WebAssembly kernel into `out`. */
export function wasmDequantize(type: string, bytes: Uint8Array, out: Float32Array): void {
  const { exports, base } = kernels()!;
  const { blockSize, typeSize } = GEOMETRY.get(type)!;
  const kernel = exports[`dequantize${type}`] as Kernel;
  const chunkBlocks = Math.max(1, Math.floor(CHUNK_ELEMENTS / blockSize));
  const totalBlocks = out.length / blockSize;
  for (let block = 0; block < totalBlocks; block += chunkBlocks) {
    const blocks = Math.min(chunkBlocks, totalBlocks - block);
    const input = base;
    const output = align(input + blocks * typeSize + 16, 16);
    ensureMemory(exports.memory, output + blocks * blockSize * 4);
    new Uint8Array(exports.memory.buffer, input, blocks * typeSize).set(
      bytes.subarray(block * typeSize, (block + blocks) * typeSize),
    );
    kernel(input, output, blocks);
    out.set(new Float32Array(exports.memory.buffer, output, blocks * blockSize), block * blockSize);
  }
}
