import { NonFiniteValueError, UnsupportedTypeError } from './errors.js';

/** How many values share one scale (and zero point). */
export type Granularity = 'tensor' | 'row' | 'group';

/** Options of {@link quantizeInt}. */
export interface IntQuantOptions {
  /** 8 or 4 bits per value; 4-bit codes are packed two per byte (low nibble first). */
  readonly bits: 8 | 4;
  /**
   * Symmetric: the scale is max|x| / (2^(bits-1) - 1) and zero is the middle code. Asymmetric: [min, max]
   * (widened to include 0) maps to codes [0, 2^bits - 1], with an integer zero point.
   */
  readonly symmetric: boolean;
  readonly granularity: Granularity;
  /** Values per group when `granularity` is `'group'`: 32, 64 or 128. */
  readonly groupSize?: 32 | 64 | 128;
}

/**
 * A quantized matrix: `value = (code - zeroPoint) · scale`, with one scale and zero point per group.
 * Codes are unsigned; a symmetric scheme stores them offset by 2^(bits-1) (so its zero point is that offset).
 */
export interface IntQuantized {
  readonly options: IntQuantOptions;
  /** `[rows, columns]`. */
  readonly shape: readonly [number, number];
  /** Values per scale. */
  readonly groupLength: number;
  readonly scales: Float32Array;
  readonly zeroPoints: Int32Array;
  /** One byte per code (8-bit) or two codes per byte (4-bit). */
  readonly codes: Uint8Array;
}

function groupLengthOf(options: IntQuantOptions, rows: number, columns: number): number {
  if (options.bits !== 8 && options.bits !== 4)
    throw new UnsupportedTypeError(`bits ${String(options.bits)}`, 'is not supported (8 or 4)');
  if (options.granularity === 'tensor') return rows * columns;
  if (options.granularity === 'row') return columns;
  const size = options.groupSize ?? 32;
  if (size !== 32 && size !== 64 && size !== 128)
    throw new UnsupportedTypeError(`groupSize ${size}`, 'is not supported (32, 64 or 128)');
  if (columns % size !== 0)
    throw new UnsupportedTypeError(`groupSize ${size}`, `does not divide the row length ${columns}`);
  return size;
}

function readCode(codes: Uint8Array, bits: 8 | 4, index: number): number {
  if (bits === 8) return codes[index]!;
  const byte = codes[index >> 1]!;
  return index & 1 ? byte >> 4 : byte & 0xf;
}

/**
 * Quantizes a row-major `[rows, columns]` matrix to INT8 or INT4, per tensor, per row or per group, with
 * rounding half away from zero and no clipping (each scale comes from its group's own range).
 * Error bounds per element: symmetric, half a step (s/2); asymmetric, one step (s): its codes count from the
 * group minimum so that min and max map exactly to the end codes, while 0 stays exactly representable
 * through the integer zero point — two roundings, each at most half a step.
 *
 * @example
 * ```ts
 * const q = quantizeInt(Float32Array.of(0.5, -1, 0.25, 1), [1, 4], { bits: 8, symmetric: true, granularity: 'row' });
 * q.scales; // Float32Array [0.007874016] = 1 / 127
 * Array.from(q.codes, (code) => code - 128); // [64, -127, 32, 127]
 * ```
 */
export function quantizeInt(
  data: Float32Array,
  shape: readonly [number, number],
  options: IntQuantOptions,
): IntQuantized {
  const [rows, columns] = shape;
  if (rows * columns !== data.length)
    throw new UnsupportedTypeError(`shape [${rows}, ${columns}]`, `does not hold ${data.length} values`);
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i]!)) throw new NonFiniteValueError(i, data[i]!);
  const groupLength = Math.max(1, groupLengthOf(options, rows, columns));
  const groups = Math.ceil(data.length / groupLength);
  const levels = 2 ** options.bits - 1; // 255 or 15 codes above 0
  const half = 2 ** (options.bits - 1); // 128 or 8
  const scales = new Float32Array(groups);
  const zeroPoints = new Int32Array(groups);
  const codes = new Uint8Array(options.bits === 8 ? data.length : Math.ceil(data.length / 2));
  for (let group = 0; group < groups; group++) {
    const start = group * groupLength;
    const end = Math.min(start + groupLength, data.length);
    let min = 0;
    let max = 0;
    for (let i = start; i < end; i++) {
      min = Math.min(min, data[i]!);
      max = Math.max(max, data[i]!);
    }
    let scale: number;
    let zero: number;
    if (options.symmetric) {
      scale = Math.max(-min, max) / (half - 1); // INT8: max|x| / 127, INT4: max|x| / 7
      zero = half;
    } else {
      scale = (max - min) / levels; // the range includes 0, so 0 is exactly representable
      zero = scale === 0 ? 0 : Math.round(-min / scale);
    }
    scales[group] = scale;
    zeroPoints[group] = zero;
    const inverse = scale === 0 ? 0 : 1 / scale;
    for (let i = start; i < end; i++) {
      // Symmetric: round(x / s) + offset. Asymmetric: round((x - min) / s), so min and max always take codes
      // 0 and 2^bits - 1 (which makes quantize(dequantize(q)) == q), and 0 takes round(-min / s) = zero exactly.
      const scaled = options.symmetric ? data[i]! * inverse : (data[i]! - min) * inverse;
      const rounded = scaled < 0 ? -Math.round(-scaled) : Math.round(scaled);
      const code = Math.max(0, Math.min(levels, options.symmetric ? rounded + zero : rounded));
      if (options.bits === 8) codes[i] = code;
      else codes[i >> 1] = codes[i >> 1]! | (i & 1 ? code << 4 : code);
    }
  }
  return { options, shape: [rows, columns], groupLength, scales, zeroPoints, codes };
}

/**
 * Dequantizes {@link quantizeInt}'s output: `(code - zeroPoint) · scale`.
 *
 * @example
 * ```ts
 * dequantizeInt(quantizeInt(data, [rows, columns], { bits: 4, symmetric: false, granularity: 'group', groupSize: 32 }));
 * ```
 */
export function dequantizeInt(quantized: IntQuantized): Float32Array {
  const [rows, columns] = quantized.shape;
  const out = new Float32Array(rows * columns);
  for (let i = 0; i < out.length; i++) {
    const group = Math.floor(i / quantized.groupLength);
    out[i] =
      (readCode(quantized.codes, quantized.options.bits, i) - quantized.zeroPoints[group]!) *
      quantized.scales[group]!;
  }
  return out;
}

/**
 * The integer code of element `index` (0 ≤ code < 2^bits).
 *
 * @example
 * ```ts
 * intCode(quantized, 0); // 192 for 0.5 in the quantizeInt example (64 + offset 128)
 * ```
 */
export function intCode(quantized: IntQuantized, index: number): number {
  return readCode(quantized.codes, quantized.options.bits, index);
}
