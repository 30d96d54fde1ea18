const floatView = new Float32Array(1);
const bitsView = new Uint32Array(floatView.buffer);

/** The bits of a float32. */
export function floatToBits(value: number): number {
  floatView[0] = value;
  return bitsView[0]!;
}

/** The float32 with these bits. */
export function bitsToFloat(bits: number): number {
  bitsView[0] = bits;
  return floatView[0]!;
}

/** 2^112 and 2^-110: the scale factors of ggml's fp32→fp16 conversion (ggml-impl.h, from the FP16 library). */
const SCALE_TO_INF = 5.192296858534828e33;
const SCALE_TO_ZERO = 7.703719777548943e-34;

/**
 * float32 → IEEE half bits exactly as `ggml_compute_fp32_to_fp16`: round to nearest even, overflow to ±Inf,
 * NaN to 0x7E00 (with sign).
 *
 * @example
 * ```ts
 * fp32ToFp16(1.0); // 0x3C00
 * fp32ToFp16(65520); // 0x7C00 (rounds up to +Inf)
 * ```
 */
export function fp32ToFp16(value: number): number {
  let base = Math.fround(Math.fround(Math.abs(value) * SCALE_TO_INF) * SCALE_TO_ZERO);
  const w = floatToBits(value);
  const shl1W = (w * 2) % 0x100000000;
  const sign = w & 0x80000000;
  let bias = shl1W - (shl1W % 0x1000000); // shl1_w & 0xFF000000, kept unsigned
  if (bias < 0x71000000) bias = 0x71000000;
  base = Math.fround(bitsToFloat(bias / 2 + 0x07800000) + base);
  const bits = floatToBits(base);
  const exponentBits = (bits >>> 13) & 0x7c00;
  const mantissaBits = bits & 0xfff;
  return ((sign >>> 16) | (shl1W > 0xff000000 ? 0x7e00 : exponentBits + mantissaBits)) & 0xffff;
}

/** All 65,536 halves as float32, built once (ggml keeps the same table, `ggml_table_f32_f16`). */
const HALF_TO_FLOAT = (() => {
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const exponent = (bits >> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    const sign = bits & 0x8000 ? -1 : 1;
    if (exponent === 0) table[bits] = sign * mantissa * 2 ** -24;
    else if (exponent === 31) table[bits] = mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
    else table[bits] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return table;
})();

/**
 * IEEE half bits → float32 (exact).
 *
 * @example
 * ```ts
 * fp16ToFp32(0x3555); // 0.333251953125
 * ```
 */
export function fp16ToFp32(bits: number): number {
  return HALF_TO_FLOAT[bits & 0xffff]!;
}

/**
 * float32 → bfloat16 bits as `ggml_compute_fp32_to_bf16`: round to nearest even on the top 16 bits; NaN
 * stays NaN with the quiet bit forced.
 *
 * @example
 * ```ts
 * fp32ToBf16(1.00390625); // 0x3F80 (ties to even)
 * ```
 */
export function fp32ToBf16(value: number): number {
  const bits = floatToBits(value);
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 64) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) / 0x10000) & 0xffff;
}

/**
 * bfloat16 bits → float32 (exact: the bits become the top half).
 *
 * @example
 * ```ts
 * bf16ToFp32(0x3F80); // 1
 * ```
 */
export function bf16ToFp32(bits: number): number {
  return bitsToFloat((bits & 0xffff) * 0x10000);
}
