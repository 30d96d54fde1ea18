// WebAssembly kernels for the hot ggml formats (compiled by AssemblyScript, see scripts/build-wasm.mjs).
// WebAssembly's f32 arithmetic is IEEE single precision, the same as C `float` without FMA, so these are
// line-for-line ports of ggml-quants.c's reference code and give the same bytes. The TypeScript versions
// in src/formats are the readable reference and the fallback; tests check both against ggml.

const QK: i32 = 32; // ggml-common.h: QK4_0 = QK8_0 = 32
const QK_K: i32 = 256; // ggml-common.h: QK_K = 256

// Scratch memory for one super-block (set by `init`): float groups, weights, levels.
let SCRATCH: usize = 0;
const GROUP_OFFSET: usize = 0; // 32 f32
const SHIFTED_OFFSET: usize = 128; // 32 f32
const WEIGHTS_OFFSET: usize = 256; // 32 f32
const SCALES_OFFSET: usize = 384; // 16 f32
const MINS_OFFSET: usize = 448; // 16 f32
const LEVELS_OFFSET: usize = 512; // 256 u8 (or i8)
const AUX_OFFSET: usize = 768; // 32 u8
/** Bytes of scratch memory the kernels need at `base`. */
export const SCRATCH_BYTES: i32 = 1024;

export function init(base: usize): void {
  SCRATCH = base;
}

// ---- float16 (ggml-impl.h ggml_compute_fp32_to_fp16 / ggml_compute_fp16_to_fp32) ----

@inline function fp32ToFp16(f: f32): u32 {
  const scaleToInf = reinterpret<f32>(0x77800000);
  const scaleToZero = reinterpret<f32>(0x08800000);
  let base: f32 = (Mathf.abs(f) * scaleToInf) * scaleToZero;
  const w = reinterpret<u32>(f);
  const shl1W = w + w;
  const sign = w & 0x80000000;
  let bias = shl1W & 0xff000000;
  if (bias < 0x71000000) bias = 0x71000000;
  base = reinterpret<f32>((bias >> 1) + 0x07800000) + base;
  const bits = reinterpret<u32>(base);
  const expBits = (bits >> 13) & 0x00007c00;
  const mantissaBits = bits & 0x00000fff;
  const nonsign = expBits + mantissaBits;
  return ((sign >> 16) | (shl1W > 0xff000000 ? 0x7e00 : nonsign)) & 0xffff;
}

@inline function fp16ToFp32(h: u32): f32 {
  const w = h << 16;
  const sign = w & 0x80000000;
  const twoW = w + w;
  const normalized: f32 = reinterpret<f32>((twoW >> 4) + (0xe0 << 23)) * reinterpret<f32>(0x07800000); // 2^-112
  const denormalized: f32 = reinterpret<f32>((twoW >> 17) | (126 << 23)) - 0.5;
  const result = sign | (twoW < (1 << 27) ? reinterpret<u32>(denormalized) : reinterpret<u32>(normalized));
  return reinterpret<f32>(result);
}

// ---- C conversions ----

/** ggml-quants.c nearest_int: 1.5·2^23 added in float, mantissa read back. */
@inline function nearestInt(value: f32): i32 {
  const shifted: f32 = value + 12582912.0;
  return (reinterpret<i32>(shifted) & 0x007fffff) - 0x00400000;
}

/** (int)(float) as x86-64's cvttss2si: 0x80000000 for NaN and out-of-range values. */
@inline function cTrunc(value: f32): i32 {
  if (!(value > -2147483648.0 && value < 2147483648.0)) return i32.MIN_VALUE;
  return <i32>value;
}

/** C roundf: half away from zero (value - trunc(value) is exact in float). */
@inline function roundHalfAway(value: f32): f32 {
  const truncated = Mathf.trunc(value);
  const fraction = value - truncated;
  if (fraction >= 0.5) return truncated + 1;
  if (fraction <= -0.5) return truncated - 1;
  return truncated;
}

@inline function minI(a: i32, b: i32): i32 {
  return a < b ? a : b;
}
@inline function maxI(a: i32, b: i32): i32 {
  return a > b ? a : b;
}

// ---- Q8_0: block_q8_0 { ggml_half d; int8_t qs[32]; } ----

export function quantizeQ8_0(src: usize, dst: usize, blocks: i32): void {
  for (let b = 0; b < blocks; b++) {
    const x = src + <usize>(b * QK * 4);
    const y = dst + <usize>(b * 34);
    let amaxV = f32x4.splat(0);
    for (let j = 0; j < QK; j += 4) amaxV = f32x4.pmax(amaxV, f32x4.abs(v128.load(x + <usize>(j * 4)))); // pmax = maxps: same for finite |x|
    const amax = Mathf.max(
      Mathf.max(f32x4.extract_lane(amaxV, 0), f32x4.extract_lane(amaxV, 1)),
      Mathf.max(f32x4.extract_lane(amaxV, 2), f32x4.extract_lane(amaxV, 3)),
    );
    const d: f32 = amax / 127.0;
    const id: f32 = d != 0 ? <f32>1.0 / d : 0;
    store<u16>(y, <u16>fp32ToFp16(d));
    if (id < f32.POSITIVE_INFINITY) {
      // |x·id| ≤ 127: round half away from zero in lanes, then narrow to int8.
      const idV = f32x4.splat(id);
      const half = f32x4.splat(0.5);
      for (let j = 0; j < QK; j += 16) {
        const q0 = roundAwayLanes(f32x4.mul(v128.load(x + <usize>(j * 4)), idV), half);
        const q1 = roundAwayLanes(f32x4.mul(v128.load(x + <usize>(j * 4 + 16)), idV), half);
        const q2 = roundAwayLanes(f32x4.mul(v128.load(x + <usize>(j * 4 + 32)), idV), half);
        const q3 = roundAwayLanes(f32x4.mul(v128.load(x + <usize>(j * 4 + 48)), idV), half);
        const low = i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(q0), i32x4.trunc_sat_f32x4_s(q1));
        const high = i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(q2), i32x4.trunc_sat_f32x4_s(q3));
        v128.store(y + 2 + <usize>j, i8x16.narrow_i16x8_s(low, high));
      }
    } else {
      for (let j = 0; j < QK; j++) {
        store<i8>(y + 2 + <usize>j, <i8>cTrunc(roundHalfAway(load<f32>(x + <usize>(j * 4)) * id)));
      }
    }
  }
}

/** Truncation of lanes in [0, 2^23): floor, then read the integer from the mantissa of (t + 2^23). */
@inline function truncSmall(v: v128): v128 {
  return v128.and(f32x4.add(f32x4.floor(v), f32x4.splat(8388608.0)), i32x4.splat(0x007fffff));
}

@inline function roundAwayLanes(v: v128, half: v128): v128 {
  const truncated = f32x4.trunc(v);
  const fraction = f32x4.sub(v, truncated);
  const up = f32x4.ge(fraction, half); // fraction ≥ 0.5 → +1
  const down = f32x4.le(fraction, f32x4.neg(half)); // fraction ≤ -0.5 → -1
  const one = f32x4.splat(1);
  return f32x4.sub(f32x4.add(truncated, v128.and(up, one)), v128.and(down, one));
}

export function dequantizeQ8_0(src: usize, dst: usize, blocks: i32): void {
  for (let b = 0; b < blocks; b++) {
    const x = src + <usize>(b * 34);
    const y = dst + <usize>(b * QK * 4);
    const d = f32x4.splat(fp16ToFp32(load<u16>(x)));
    for (let j = 0; j < QK; j += 16) {
      const q = v128.load(x + 2 + <usize>j);
      const low = i16x8.extend_low_i8x16_s(q);
      const high = i16x8.extend_high_i8x16_s(q);
      v128.store(y + <usize>(j * 4), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(low)), d));
      v128.store(y + <usize>(j * 4 + 16), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(low)), d));
      v128.store(y + <usize>(j * 4 + 32), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(high)), d));
      v128.store(y + <usize>(j * 4 + 48), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(high)), d));
    }
  }
}

// ---- Q4_0: block_q4_0 { ggml_half d; uint8_t qs[16]; } ----

export function quantizeQ4_0(src: usize, dst: usize, blocks: i32): void {
  for (let b = 0; b < blocks; b++) {
    const x = src + <usize>(b * QK * 4);
    const y = dst + <usize>(b * 18);
    // The value of largest magnitude, first one on ties (ggml: `if (amax < fabsf(v))`): the largest
    // magnitude by lanes, then the first lane holding it.
    let amaxV = f32x4.splat(0);
    for (let j = 0; j < QK; j += 4) amaxV = f32x4.pmax(amaxV, f32x4.abs(v128.load(x + <usize>(j * 4)))); // pmax = maxps: same for finite |x|
    const amax = Mathf.max(
      Mathf.max(f32x4.extract_lane(amaxV, 0), f32x4.extract_lane(amaxV, 1)),
      Mathf.max(f32x4.extract_lane(amaxV, 2), f32x4.extract_lane(amaxV, 3)),
    );
    let max: f32 = 0;
    if (amax > 0) {
      const target = f32x4.splat(amax);
      for (let j = 0; j < QK; j += 4) {
        const lanes = v128.load(x + <usize>(j * 4));
        const hits = i32x4.bitmask(f32x4.eq(f32x4.abs(lanes), target));
        if (hits != 0) {
          max = load<f32>(x + <usize>((j + ctz(hits)) * 4));
          break;
        }
      }
    }
    const d: f32 = max / -8.0;
    const id: f32 = d != 0 ? <f32>1.0 / d : 0;
    store<u16>(y, <u16>fp32ToFp16(d));
    if (Mathf.abs(id) < f32.POSITIVE_INFINITY) {
      const idV = f32x4.splat(id);
      const bias = f32x4.splat(8.5);
      const fifteen = i32x4.splat(15);
      for (let j = 0; j < QK / 2; j += 8) {
        const lo0 = i32x4.min_s(truncSmall(f32x4.add(f32x4.mul(v128.load(x + <usize>(j * 4)), idV), bias)), fifteen);
        const lo1 = i32x4.min_s(truncSmall(f32x4.add(f32x4.mul(v128.load(x + <usize>(j * 4 + 16)), idV), bias)), fifteen);
        const hi0 = i32x4.min_s(truncSmall(f32x4.add(f32x4.mul(v128.load(x + <usize>(64 + j * 4)), idV), bias)), fifteen);
        const hi1 = i32x4.min_s(truncSmall(f32x4.add(f32x4.mul(v128.load(x + <usize>(64 + j * 4 + 16)), idV), bias)), fifteen);
        const packed0 = v128.or(lo0, i32x4.shl(hi0, 4));
        const packed1 = v128.or(lo1, i32x4.shl(hi1, 4));
        const words = i16x8.narrow_i32x4_s(packed0, packed1);
        const bytes = i8x16.narrow_i16x8_u(words, words);
        v128.store64_lane(y + 2 + <usize>j, bytes, 0);
      }
    } else {
      for (let j = 0; j < QK / 2; j++) {
        const x0: f32 = load<f32>(x + <usize>(j * 4)) * id;
        const x1: f32 = load<f32>(x + <usize>((j + 16) * 4)) * id;
        const xi0 = minI(15, <i8>cTrunc(x0 + 8.5)) & 0xff;
        const xi1 = minI(15, <i8>cTrunc(x1 + 8.5)) & 0xff;
        store<u8>(y + 2 + <usize>j, <u8>(xi0 | (xi1 << 4)));
      }
    }
  }
}

export function dequantizeQ4_0(src: usize, dst: usize, blocks: i32): void {
  const low4 = i8x16.splat(0x0f);
  const eight = i16x8.splat(8);
  for (let b = 0; b < blocks; b++) {
    const x = src + <usize>(b * 18);
    const y = dst + <usize>(b * QK * 4);
    const d = f32x4.splat(fp16ToFp32(load<u16>(x)));
    const q = v128.load(x + 2);
    const low = v128.and(q, low4);
    const high = i8x16.shr_u(q, 4);
    const low16a = i16x8.sub(i16x8.extend_low_i8x16_u(low), eight);
    const low16b = i16x8.sub(i16x8.extend_high_i8x16_u(low), eight);
    const high16a = i16x8.sub(i16x8.extend_low_i8x16_u(high), eight);
    const high16b = i16x8.sub(i16x8.extend_high_i8x16_u(high), eight);
    v128.store(y, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(low16a)), d));
    v128.store(y + 16, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(low16a)), d));
    v128.store(y + 32, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(low16b)), d));
    v128.store(y + 48, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(low16b)), d));
    v128.store(y + 64, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(high16a)), d));
    v128.store(y + 80, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(high16a)), d));
    v128.store(y + 96, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(high16b)), d));
    v128.store(y + 112, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(high16b)), d));
  }
}

// ---- K-quant searches (ggml-quants.c make_qkx2_quants, make_qx_quants) ----

let fitScale: f32 = 0;
let fitMin: f32 = 0;

function makeQkx2Quants(n: i32, nmax: i32, x: usize, weights: usize, levels: usize, rmin: f32, rdelta: f32, steps: i32): void {
  const group = SCRATCH + GROUP_OFFSET;
  const shifted = SCRATCH + SHIFTED_OFFSET;
  const aux = SCRATCH + AUX_OFFSET;
  let min = load<f32>(x);
  let max = load<f32>(x);
  let sumW = load<f32>(weights);
  let sumX: f32 = sumW * load<f32>(x);
  store<f32>(group, load<f32>(x));
  for (let i = 1; i < n; i++) {
    const value = load<f32>(x + <usize>(i * 4));
    store<f32>(group + <usize>(i * 4), value);
    if (value < min) min = value;
    if (value > max) max = value;
    const w = load<f32>(weights + <usize>(i * 4));
    sumW += w;
    sumX += w * value;
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (let i = 0; i < n; i++) store<u8>(levels + <usize>i, 0);
    fitScale = 0;
    fitMin = -min;
    return;
  }
  for (let i = 0; i < n; i++) store<f32>(shifted + <usize>(i * 4), load<f32>(group + <usize>(i * 4)) - min);
  let iscale: f32 = <f32>nmax / (max - min);
  let scale: f32 = <f32>1.0 / iscale;
  let bestError: f32 = 0;
  for (let i = 0; i < n; i++) {
    const l = maxI(0, minI(nmax, nearestInt(iscale * load<f32>(shifted + <usize>(i * 4)))));
    store<u8>(levels + <usize>i, <u8>l);
    const diff: f32 = scale * <f32>l + min - load<f32>(group + <usize>(i * 4));
    bestError += load<f32>(weights + <usize>(i * 4)) * (diff * diff);
  }
  for (let is = 0; is <= steps; is++) {
    iscale = (rmin + rdelta * <f32>is + <f32>nmax) / (max - min);
    let sumL: f32 = 0;
    let sumL2: f32 = 0;
    let sumXL: f32 = 0;
    for (let i = 0; i < n; i++) {
      const l = maxI(0, minI(nmax, nearestInt(iscale * load<f32>(shifted + <usize>(i * 4)))));
      store<u8>(aux + <usize>i, <u8>l);
      const wl: f32 = load<f32>(weights + <usize>(i * 4)) * <f32>l;
      sumL += wl;
      sumL2 += wl * <f32>l;
      sumXL += wl * load<f32>(group + <usize>(i * 4));
    }
    const determinant: f32 = sumW * sumL2 - sumL * sumL;
    if (determinant > 0) {
      let thisScale: f32 = (sumW * sumXL - sumX * sumL) / determinant;
      let thisMin: f32 = (sumL2 * sumX - sumL * sumXL) / determinant;
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = sumXL / sumL2;
      }
      let error: f32 = 0;
      for (let i = 0; i < n; i++) {
        const diff: f32 = thisScale * <f32>load<u8>(aux + <usize>i) + thisMin - load<f32>(group + <usize>(i * 4));
        error += load<f32>(weights + <usize>(i * 4)) * (diff * diff);
      }
      if (error < bestError) {
        memory.copy(levels, aux, n);
        bestError = error;
        scale = thisScale;
        if (thisMin != min) {
          min = thisMin;
          for (let i = 0; i < n; i++) store<f32>(shifted + <usize>(i * 4), load<f32>(group + <usize>(i * 4)) - min);
        }
      }
    }
  }
  fitScale = scale;
  fitMin = -min;
}

/** make_qx_quants(n, nmax, x, L, rmse_type = 1, qw = NULL), levels as i8 in [0, 2·nmax). */
function makeQxQuants(n: i32, nmax: i32, x: usize, levels: usize): f32 {
  let max: f32 = 0;
  let amax: f32 = 0;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + <usize>(i * 4));
    const ax = Mathf.abs(v);
    if (ax > amax) {
      amax = ax;
      max = v;
    }
  }
  if (amax < <f32>1e-15) {
    for (let i = 0; i < n; i++) store<i8>(levels + <usize>i, 0);
    return 0;
  }
  let iscale: f32 = <f32>-nmax / max;
  let sumlx: f32 = 0;
  let suml2: f32 = 0;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + <usize>(i * 4));
    const l = maxI(-nmax, minI(nmax - 1, nearestInt(iscale * v)));
    store<i8>(levels + <usize>i, <i8>(l + nmax));
    const w: f32 = v * v;
    sumlx += w * v * <f32>l;
    suml2 += w * <f32>l * <f32>l;
  }
  let scale: f32 = suml2 != 0 ? sumlx / suml2 : 0;
  let best: f32 = scale * sumlx;
  for (let is = -9; is <= 9; is++) {
    if (is == 0) continue;
    iscale = -(<f32>nmax + <f32>0.1 * <f32>is) / max;
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const v = load<f32>(x + <usize>(i * 4));
      const l = maxI(-nmax, minI(nmax - 1, nearestInt(iscale * v)));
      const w: f32 = v * v;
      sumlx += w * v * <f32>l;
      suml2 += w * <f32>l * <f32>l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (let i = 0; i < n; i++) {
        const l = maxI(-nmax, minI(nmax - 1, nearestInt(iscale * load<f32>(x + <usize>(i * 4)))));
        store<i8>(levels + <usize>i, <i8>(nmax + l));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// ---- Q4_K: block_q4_K { ggml_half d, dmin; uint8_t scales[12]; uint8_t qs[128]; } ----

@inline function scaleK4(j: i32, q: usize): i32 {
  return j < 4 ? load<u8>(q + <usize>j) & 63 : (load<u8>(q + <usize>(j + 4)) & 0xf) | ((load<u8>(q + <usize>(j - 4)) >> 6) << 4);
}
@inline function minK4(j: i32, q: usize): i32 {
  return j < 4 ? load<u8>(q + <usize>(j + 4)) & 63 : (load<u8>(q + <usize>(j + 4)) >> 4) | ((load<u8>(q + <usize>j) >> 6) << 4);
}

export function quantizeQ4_K(src: usize, dst: usize, blocks: i32): void {
  const weights = SCRATCH + WEIGHTS_OFFSET;
  const scales = SCRATCH + SCALES_OFFSET;
  const mins = SCRATCH + MINS_OFFSET;
  const levels = SCRATCH + LEVELS_OFFSET;
  for (let b = 0; b < blocks; b++) {
    const x = src + <usize>(b * QK_K * 4);
    const y = dst + <usize>(b * 144);
    let maxScale: f32 = 0;
    let maxMin: f32 = 0;
    for (let j = 0; j < QK_K / 32; j++) {
      const group = x + <usize>(32 * j * 4);
      let sumX2: f32 = 0;
      for (let l = 0; l < 32; l++) {
        const v = load<f32>(group + <usize>(l * 4));
        sumX2 += v * v;
      }
      const averageX = Mathf.sqrt(sumX2 / 32);
      for (let l = 0; l < 32; l++) store<f32>(weights + <usize>(l * 4), averageX + Mathf.abs(load<f32>(group + <usize>(l * 4))));
      makeQkx2Quants(32, 15, group, weights, levels + <usize>(32 * j), -1.0, 0.1, 20);
      store<f32>(scales + <usize>(j * 4), fitScale);
      store<f32>(mins + <usize>(j * 4), fitMin);
      if (fitScale > maxScale) maxScale = fitScale;
      if (fitMin > maxMin) maxMin = fitMin;
    }
    const inverseScale: f32 = maxScale > 0 ? <f32>63.0 / maxScale : 0;
    const inverseMin: f32 = maxMin > 0 ? <f32>63.0 / maxMin : 0;
    const packed = y + 4;
    for (let j = 0; j < QK_K / 32; j++) {
      const ls = minI(63, nearestInt(inverseScale * load<f32>(scales + <usize>(j * 4))) & 0xff);
      const lm = minI(63, nearestInt(inverseMin * load<f32>(mins + <usize>(j * 4))) & 0xff);
      if (j < 4) {
        store<u8>(packed + <usize>j, <u8>ls);
        store<u8>(packed + <usize>(j + 4), <u8>lm);
      } else {
        store<u8>(packed + <usize>(j + 4), <u8>((ls & 0xf) | ((lm & 0xf) << 4)));
        store<u8>(packed + <usize>(j - 4), <u8>(load<u8>(packed + <usize>(j - 4)) | ((ls >> 4) << 6)));
        store<u8>(packed + <usize>j, <u8>(load<u8>(packed + <usize>j) | ((lm >> 4) << 6)));
      }
    }
    store<u16>(y, <u16>fp32ToFp16(maxScale / 63.0));
    store<u16>(y + 2, <u16>fp32ToFp16(maxMin / 63.0));
    const d = fp16ToFp32(load<u16>(y));
    const dmin = fp16ToFp32(load<u16>(y + 2));
    for (let j = 0; j < QK_K / 32; j++) {
      const groupScale: f32 = d * <f32>scaleK4(j, packed);
      if (groupScale == 0) continue;
      const groupMin: f32 = dmin * <f32>minK4(j, packed);
      for (let ii = 0; ii < 32; ii++) {
        const l = nearestInt((load<f32>(x + <usize>((32 * j + ii) * 4)) + groupMin) / groupScale);
        store<u8>(levels + <usize>(32 * j + ii), <u8>maxI(0, minI(15, l)));
      }
    }
    for (let j = 0; j < QK_K; j += 64) {
      for (let l = 0; l < 32; l++) {
        store<u8>(y + 16 + <usize>(j / 2 + l), <u8>(load<u8>(levels + <usize>(j + l)) | (load<u8>(levels + <usize>(j + l + 32)) << 4)));
      }
    }
  }
}

export function dequantizeQ4_K(src: usize, dst: usize, blocks: i32): void {
  const low4 = i8x16.splat(0x0f);
  for (let b = 0; b < blocks; b++) {
    const x = src + <usize>(b * 144);
    let y = dst + <usize>(b * QK_K * 4);
    const d = fp16ToFp32(load<u16>(x));
    const dmin = fp16ToFp32(load<u16>(x + 2));
    for (let j = 0, group = 0; j < QK_K; j += 64, group += 2) {
      const d1 = f32x4.splat(d * <f32>scaleK4(group, x + 4));
      const m1 = f32x4.splat(dmin * <f32>minK4(group, x + 4));
      const d2 = f32x4.splat(d * <f32>scaleK4(group + 1, x + 4));
      const m2 = f32x4.splat(dmin * <f32>minK4(group + 1, x + 4));
      const q = x + 16 + <usize>(j / 2);
      for (let half = 0; half < 32; half += 16) {
        const bytes = v128.load(q + <usize>half);
        const low = v128.and(bytes, low4);
        const high = i8x16.shr_u(bytes, 4);
        const lowA = i16x8.extend_low_i8x16_u(low);
        const lowB = i16x8.extend_high_i8x16_u(low);
        const highA = i16x8.extend_low_i8x16_u(high);
        const highB = i16x8.extend_high_i8x16_u(high);
        const out = y + <usize>(half * 4);
        v128.store(out, f32x4.sub(f32x4.mul(d1, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(lowA))), m1));
        v128.store(out + 16, f32x4.sub(f32x4.mul(d1, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(lowA))), m1));
        v128.store(out + 32, f32x4.sub(f32x4.mul(d1, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(lowB))), m1));
        v128.store(out + 48, f32x4.sub(f32x4.mul(d1, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(lowB))), m1));
        v128.store(out + 128, f32x4.sub(f32x4.mul(d2, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(highA))), m2));
        v128.store(out + 144, f32x4.sub(f32x4.mul(d2, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(highA))), m2));
        v128.store(out + 160, f32x4.sub(f32x4.mul(d2, f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(highB))), m2));
        v128.store(out + 176, f32x4.sub(f32x4.mul(d2, f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(highB))), m2));
      }
      y += 256;
    }
  }
}

// ---- Q6_K: block_q6_K { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; ggml_half d; } ----

export function quantizeQ6_K(src: usize, dst: usize, blocks: i32): void {
  const scales = SCRATCH + SCALES_OFFSET;
  const levels = SCRATCH + LEVELS_OFFSET;
  for (let b = 0; b < blocks; b++) {
    const x = src + <usize>(b * QK_K * 4);
    const y = dst + <usize>(b * 210);
    let maxScale: f32 = 0;
    let maxAbsScale: f32 = 0;
    for (let group = 0; group < QK_K / 16; group++) {
      const scale = makeQxQuants(16, 32, x + <usize>(16 * group * 4), levels + <usize>(16 * group));
      store<f32>(scales + <usize>(group * 4), scale);
      if (Mathf.abs(scale) > maxAbsScale) {
        maxAbsScale = Mathf.abs(scale);
        maxScale = scale;
      }
    }
    if (maxAbsScale < <f32>1e-15) {
      memory.fill(y, 0, 210);
      continue;
    }
    const iscale: f32 = <f32>-128.0 / maxScale;
    store<u16>(y + 208, <u16>fp32ToFp16(<f32>1.0 / iscale));
    for (let group = 0; group < QK_K / 16; group++) {
      store<i8>(y + 192 + <usize>group, <i8>minI(127, nearestInt(iscale * load<f32>(scales + <usize>(group * 4)))));
    }
    const d = fp16ToFp32(load<u16>(y + 208));
    for (let j = 0; j < QK_K / 16; j++) {
      const scale: f32 = d * <f32>load<i8>(y + 192 + <usize>j);
      if (scale == 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(load<f32>(x + <usize>((16 * j + ii) * 4)) / scale);
        store<i8>(levels + <usize>(16 * j + ii), <i8>(maxI(-32, minI(31, l)) + 32));
      }
    }
    for (let j = 0; j < QK_K; j += 128) {
      const ql = y + <usize>(j / 2);
      const qh = y + 128 + <usize>(j / 4);
      for (let l = 0; l < 32; l++) {
        const l0 = <i32>load<u8>(levels + <usize>(j + l));
        const l1 = <i32>load<u8>(levels + <usize>(j + l + 32));
        const l2 = <i32>load<u8>(levels + <usize>(j + l + 64));
        const l3 = <i32>load<u8>(levels + <usize>(j + l + 96));
        store<u8>(ql + <usize>l, <u8>((l0 & 0xf) | ((l2 & 0xf) << 4)));
        store<u8>(ql + <usize>(l + 32), <u8>((l1 & 0xf) | ((l3 & 0xf) << 4)));
        store<u8>(qh + <usize>l, <u8>((l0 >> 4) | ((l1 >> 4) << 2) | ((l2 >> 4) << 4) | ((l3 >> 4) << 6)));
      }
    }
  }
}

export function dequantizeQ6_K(src: usize, dst: usize, blocks: i32): void {
  for (let b = 0; b < blocks; b++) {
    const x = src + <usize>(b * 210);
    const d = fp16ToFp32(load<u16>(x + 208));
    for (let n = 0; n < QK_K; n += 128) {
      const ql = x + <usize>(n / 2);
      const qh = x + 128 + <usize>(n / 4);
      const sc = x + 192 + <usize>(n / 16);
      const y = dst + <usize>((b * QK_K + n) * 4);
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const high = <i32>load<u8>(qh + <usize>l);
        const low0 = <i32>load<u8>(ql + <usize>l);
        const low1 = <i32>load<u8>(ql + <usize>(l + 32));
        const q1 = ((low0 & 0xf) | ((high & 3) << 4)) - 32;
        const q2 = ((low1 & 0xf) | (((high >> 2) & 3) << 4)) - 32;
        const q3 = ((low0 >> 4) | (((high >> 4) & 3) << 4)) - 32;
        const q4 = ((low1 >> 4) | (((high >> 6) & 3) << 4)) - 32;
        store<f32>(y + <usize>(l * 4), (d * <f32>load<i8>(sc + <usize>is)) * <f32>q1);
        store<f32>(y + <usize>((l + 32) * 4), (d * <f32>load<i8>(sc + <usize>(is + 2))) * <f32>q2);
        store<f32>(y + <usize>((l + 64) * 4), (d * <f32>load<i8>(sc + <usize>(is + 4))) * <f32>q3);
        store<f32>(y + <usize>((l + 96) * 4), (d * <f32>load<i8>(sc + <usize>(is + 6))) * <f32>q4);
      }
    }
  }
}

/** First free byte after the module's static data: the JS side lays out scratch, input and output from here. */
export function heapBase(): usize {
  return __heap_base;
}

/** Index of the first NaN or ±Infinity among `n` floats at `src` (exponent bits all ones), or -1. */
export function firstNonFinite(src: usize, n: i32): i32 {
  const exponent = i32x4.splat(0x7f800000);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const bits = v128.and(v128.load(src + <usize>(i * 4)), exponent);
    if (v128.any_true(i32x4.eq(bits, exponent))) break;
  }
  for (; i < n; i++) {
    if ((load<u32>(src + <usize>(i * 4)) & 0x7f800000) == 0x7f800000) return i;
  }
  return -1;
}
