/**
 * ggml itself, as a test oracle: llama.cpp's prebuilt `libggml-base.so` from node-llama-cpp, called through
 * koffi. Tests compare our bytes and floats with what ggml produces for the same input.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import koffi from 'koffi';

const require = createRequire(import.meta.url);

/** Directory of llama.cpp's prebuilt CPU binaries shipped by node-llama-cpp, or undefined if absent. */
export function llamaCppBinaries(): string | undefined {
  try {
    const fromLlama = createRequire(require.resolve('node-llama-cpp'));
    // The package exports only its entry (dist/index.js); the binaries sit in bins/ beside dist/.
    const entry = fromLlama.resolve('@node-llama-cpp/linux-x64');
    const directory = join(dirname(entry), '..', 'bins', 'linux-x64');
    return existsSync(join(directory, 'libggml-base.so')) ? directory : undefined;
  } catch {
    return undefined;
  }
}

/** ggml.h `enum ggml_type` values of the types this project writes. */
export const GGML_TYPE_ID = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  BF16: 30,
} as const;

export type OracleTypeName = keyof typeof GGML_TYPE_ID;

export interface GgmlOracle {
  typeSize(type: OracleTypeName): number;
  blockSize(type: OracleTypeName): number;
  /** `ggml_quantize_chunk` over whole rows; `importance` is the optional imatrix (one weight per column). */
  quantize(
    type: OracleTypeName,
    data: Float32Array,
    rowLength: number,
    importance?: Float32Array,
  ): Uint8Array;
  /** `dequantize_row_*` (or the f16/bf16 row converters). */
  dequantize(type: OracleTypeName, bytes: Uint8Array, count: number): Float32Array;
}

let oracle: GgmlOracle | undefined;

/** Loads ggml once per process; undefined when node-llama-cpp's Linux x64 binaries are not installed. */
export function loadGgmlOracle(): GgmlOracle | undefined {
  if (oracle) return oracle;
  const directory = llamaCppBinaries();
  if (!directory) return undefined;
  const lib = koffi.load(join(directory, 'libggml-base.so'));
  const typeSize = lib.func('size_t ggml_type_size(int type)');
  const blockSize = lib.func('int64_t ggml_blck_size(int type)');
  const rowSize = lib.func('size_t ggml_row_size(int type, int64_t ne)');
  const quantizeChunk = lib.func(
    'size_t ggml_quantize_chunk(int type, const float *src, _Out_ uint8_t *dst, int64_t start, int64_t nrows, int64_t n_per_row, const float *imatrix)',
  );
  const dequantizers = new Map<
    OracleTypeName,
    (bytes: Uint8Array, out: Float32Array, count: number) => void
  >();
  for (const name of [
    'Q4_0',
    'Q4_1',
    'Q5_0',
    'Q5_1',
    'Q8_0',
    'Q2_K',
    'Q3_K',
    'Q4_K',
    'Q5_K',
    'Q6_K',
    'Q8_K',
  ] as const) {
    const symbol = `dequantize_row_${name.toLowerCase().replace('_k', '_K')}`;
    const fn = lib.func(`void ${symbol}(const uint8_t *x, _Out_ float *y, int64_t k)`);
    dequantizers.set(name, (bytes, out, count) => fn(bytes, out, count));
  }
  const f16Row = lib.func('void ggml_fp16_to_fp32_row(const uint8_t *x, _Out_ float *y, int64_t n)');
  const bf16Row = lib.func('void ggml_bf16_to_fp32_row(const uint8_t *x, _Out_ float *y, int64_t n)');
  dequantizers.set('F16', (bytes, out, count) => f16Row(bytes, out, count));
  dequantizers.set('BF16', (bytes, out, count) => bf16Row(bytes, out, count));

  oracle = {
    typeSize: (type) => Number(typeSize(GGML_TYPE_ID[type])),
    blockSize: (type) => Number(blockSize(GGML_TYPE_ID[type])),
    quantize(type, data, rowLength, importance) {
      const rows = data.length / rowLength;
      const out = new Uint8Array(Number(rowSize(GGML_TYPE_ID[type], rowLength)) * rows);
      quantizeChunk(GGML_TYPE_ID[type], data, out, 0, rows, rowLength, importance ?? null);
      return out;
    },
    dequantize(type, bytes, count) {
      const out = new Float32Array(count);
      dequantizers.get(type)!(bytes, out, count);
      return out;
    },
  };
  return oracle;
}
