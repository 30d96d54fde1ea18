/** Rounds to float32: every arithmetic step of ggml's C code is a float operation, so ours are wrapped in it. */
export const f32 = Math.fround;

const floatView = new Float32Array(1);
const bitsView = new Int32Array(floatView.buffer);

/**
 * ggml-quants.c `nearest_int`: adds 1.5·2^23 in float32 and reads the mantissa bits. For |x| ≤ 4,194,303
 * (which ggml asserts, but release builds do not check) this is round-half-to-even; beyond it the same bit
 * trick gives the same out-of-range integers ggml gets, so extreme inputs stay byte-exact too.
 */
export function nearestInt(value: number): number {
  floatView[0] = value + 12582912;
  return (bitsView[0]! & 0x007fffff) - 0x00400000;
}

/** C `roundf`: half away from zero. */
export function roundHalfAway(value: number): number {
  return value < 0 ? -Math.floor(-value + 0.5) : Math.floor(value + 0.5);
}

/** C conversion to `int8_t` of an integer (two's-complement wrap). */
export function toInt8(value: number): number {
  return (value << 24) >> 24;
}

/**
 * C `(int8_t)(float)` as x86-64 compiles it: `cvttss2si` truncates to int32, giving 0x80000000 for NaN and
 * out-of-range values, and the low byte is kept.
 */
export function truncToInt8(value: number): number {
  const truncated = Math.trunc(value);
  if (!(truncated >= -2147483648 && truncated <= 2147483647)) return 0;
  return toInt8(truncated);
}

/** C `(uint8_t)(float)`: the same conversion, low byte as unsigned. */
export function truncToUint8(value: number): number {
  return truncToInt8(value) & 0xff;
}

/** ggml-quants.c `GROUP_MAX_EPS`: groups whose largest magnitude is below it are all zero. */
export const GROUP_MAX_EPS = Math.fround(1e-15);
