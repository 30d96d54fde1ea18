import { BlockAlignmentError, ByteLengthError, NonFiniteValueError, UnsupportedTypeError } from './errors.js';
import type { BlockFormat } from './formats/block-format.js';
import { BF16, F16, F32 } from './formats/float-formats.js';
import { Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 } from './formats/legacy-formats.js';
import { Q2_K } from './formats/q2-k.js';
import { Q3_K } from './formats/q3-k.js';
import { Q4_K } from './formats/q4-k.js';
import { Q5_K } from './formats/q5-k.js';
import { Q6_K } from './formats/q6-k.js';
import { hasWasmKernel, wasmDequantize, wasmQuantize } from './wasm-kernels.js';

/** The ggml tensor types this package encodes and decodes, by their GGUF names. */
export type GgmlTypeName =
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'Q4_0'
  | 'Q4_1'
  | 'Q5_0'
  | 'Q5_1'
  | 'Q8_0'
  | 'Q2_K'
  | 'Q3_K'
  | 'Q4_K'
  | 'Q5_K'
  | 'Q6_K';

const FORMATS = new Map<string, BlockFormat>(
  [F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K].map((format) => [
    format.name,
    format,
  ]),
);

/**
 * Block size, bytes per block, ggml type id and source of every supported type (ggml-common.h and the
 * `type_traits` table of ggml.c; checked against `ggml_blck_size`/`ggml_type_size` in the tests).
 *
 * @example
 * ```ts
 * GGML_TYPES.find((type) => type.name === 'Q4_K'); // { name: 'Q4_K', id: 12, blockSize: 256, typeSize: 144, … }
 * ```
 */
export const GGML_TYPES: ReadonlyArray<
  Pick<BlockFormat, 'name' | 'id' | 'blockSize' | 'typeSize' | 'source'>
> = [...FORMATS.values()].map(({ name, id, blockSize, typeSize, source }) => ({
  name,
  id,
  blockSize,
  typeSize,
  source,
}));

/**
 * The block codec of a type; throws {@link UnsupportedTypeError} for unknown names.
 *
 * @example
 * ```ts
 * ggmlFormat('Q8_0').typeSize; // 34
 * ```
 */
export function ggmlFormat(type: GgmlTypeName): BlockFormat {
  const format = FORMATS.get(type);
  if (format === undefined)
    throw new UnsupportedTypeError(
      String(type),
      `is not a supported ggml type (${[...FORMATS.keys()].join(', ')})`,
    );
  return format;
}

/**
 * Bytes that `count` elements take in `type`; `count` must be a whole number of blocks.
 *
 * @example
 * ```ts
 * ggmlByteLength('Q4_0', 4096); // 2304 = 128 blocks × 18 bytes
 * ```
 */
export function ggmlByteLength(type: GgmlTypeName, count: number): number {
  const format = ggmlFormat(type);
  if (!Number.isSafeInteger(count) || count < 0 || count % format.blockSize !== 0)
    throw new BlockAlignmentError(type, count, format.blockSize);
  return (count / format.blockSize) * format.typeSize;
}

/**
 * Which implementation runs: `'auto'` (default) uses the WebAssembly kernel where one exists (Q8_0, Q4_0,
 * Q4_K, Q6_K) and loads, else TypeScript; `'js'` forces the TypeScript reference. Both give the same bytes.
 */
export type KernelChoice = 'auto' | 'js';

/** Options of {@link quantizeGgml}. */
export interface QuantizeGgmlOptions {
  /** Elements per row; each row must be whole blocks (as in a GGUF tensor, whose `ne[0]` is the row). */
  readonly rowLength?: number;
  /** Default `'auto'`. */
  readonly kernel?: KernelChoice;
  /**
   * Importance matrix (llama.cpp's imatrix for this tensor): one non-negative weight per column, so
   * `rowLength` values. Quantizes as `ggml_quantize_chunk` with `imatrix` does (`quantize_row_*_impl`);
   * F16, BF16, F32 and Q8_0 ignore it, as in ggml.
   */
  readonly importance?: Float32Array;
}

/**
 * Encodes float32 values in a ggml block format, byte for byte as llama.cpp's reference quantizers
 * (`ggml_quantize_chunk` without an importance matrix) do.
 *
 * @example
 * ```ts
 * const bytes = quantizeGgml('Q8_0', new Float32Array(64).fill(0.5)); // 2 blocks × 34 bytes
 * ```
 */
export function quantizeGgml(
  type: GgmlTypeName,
  data: Float32Array,
  options: QuantizeGgmlOptions = {},
): Uint8Array {
  const format = ggmlFormat(type);
  const rowLength = options.rowLength ?? data.length;
  if (rowLength > 0 && (!Number.isSafeInteger(rowLength) || data.length % rowLength !== 0))
    throw new BlockAlignmentError(type, data.length, rowLength, 'elements (rows)');
  if (rowLength % format.blockSize !== 0)
    throw new BlockAlignmentError(type, rowLength, format.blockSize, 'elements per row');
  const out = new Uint8Array((data.length / format.blockSize) * format.typeSize);
  if (options.importance !== undefined && format.encodeBlockWeighted !== undefined) {
    quantizeWeighted(format, data, rowLength, options.importance, out);
    return out;
  }
  if (options.kernel !== 'js' && hasWasmKernel(type)) {
    wasmQuantize(type, data, out); // checks finiteness itself
    return out;
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new NonFiniteValueError(i, data[i]!);
  }
  for (let block = 0, at = 0; block < data.length; block += format.blockSize, at += format.typeSize) {
    format.encodeBlock(data, block, out, at);
  }
  return out;
}

function quantizeWeighted(
  format: BlockFormat,
  data: Float32Array,
  rowLength: number,
  importance: Float32Array,
  out: Uint8Array,
): void {
  if (importance.length !== rowLength)
    throw new BlockAlignmentError(
      format.name,
      importance.length,
      rowLength,
      'importance weights (one per column of the row)',
    );
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i]!)) throw new NonFiniteValueError(i, data[i]!);
  for (let i = 0; i < importance.length; i++) {
    if (!Number.isFinite(importance[i]!)) throw new NonFiniteValueError(i, importance[i]!);
  }
  const encode = format.encodeBlockWeighted!;
  for (let rowStart = 0; rowStart < data.length; rowStart += rowLength) {
    // σ² of the row, float32 sums in order (the 32-element formats weigh by qw·sqrt(σ² + x²)).
    let sumX2 = 0;
    for (let j = 0; j < rowLength; j++)
      sumX2 = Math.fround(sumX2 + Math.fround(data[rowStart + j]! * data[rowStart + j]!));
    const sigma2 = Math.fround(sumX2 / rowLength);
    for (let block = 0; block < rowLength; block += format.blockSize) {
      const from = rowStart + block;
      encode(data, from, out, (from / format.blockSize) * format.typeSize, importance, block, sigma2);
    }
  }
}

/**
 * Decodes `count` values from ggml block bytes, as llama.cpp's `dequantize_row_*` functions do.
 *
 * @example
 * ```ts
 * dequantizeGgml('Q8_0', quantizeGgml('Q8_0', data), data.length);
 * ```
 */
export function dequantizeGgml(
  type: GgmlTypeName,
  bytes: Uint8Array,
  count: number,
  options: { readonly kernel?: KernelChoice } = {},
): Float32Array {
  const expected = ggmlByteLength(type, count);
  if (bytes.length !== expected) throw new ByteLengthError(type, expected, bytes.length, count);
  const format = ggmlFormat(type);
  const out = new Float32Array(count);
  if (options.kernel !== 'js' && hasWasmKernel(type)) {
    wasmDequantize(type, bytes, out);
    return out;
  }
  for (let block = 0, at = 0; block < count; block += format.blockSize, at += format.typeSize) {
    format.decodeBlock(bytes, at, out, block);
  }
  return out;
}
