// The shared first half of Q4_K and Q5_K: eight groups of 32 with 6-bit scales and mins (ggml-quants.c).
import { fp16ToFp32, fp32ToFp16 } from '../float16.js';
import { f32, nearestInt } from '../float32-math.js';
import { readU16, writeU16 } from './block-format.js';
import {
  makeQkx2Quants,
  makeQkx3Quants,
  makeQpQuants,
  nearestU8,
  type ScaleAndMin,
  scaleMinK4,
} from './k-quant-search.js';

const QK_K = 256;
const weights = new Float32Array(32);
const scratch = new Uint8Array(32);
const scales = new Float32Array(QK_K / 32);
const mins = new Float32Array(QK_K / 32);
const fit: ScaleAndMin = { scale: 0, min: 0 };
const groupWeights = new Float32Array(QK_K / 32);
const scaleLevels = new Uint8Array(QK_K / 32);
const minLevels = new Uint8Array(QK_K / 32);

/** Packs the 6-bit scale `ls` and min `lm` of group `j` into the 12 bytes at `packed` (get_scale_min_k4's inverse). */
function packScaleMin(out: Uint8Array, packed: number, j: number, ls: number, lm: number): void {
  if (j < 4) {
    out[packed + j] = ls;
    out[packed + j + 4] = lm;
  } else {
    out[packed + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
    out[packed + j - 4] = out[packed + j - 4]! | ((ls >> 4) << 6);
    out[packed + j] = out[packed + j]! | ((lm >> 4) << 6);
  }
}

/** Requantizes every element against the stored (rounded) group scales and mins into `levels` (0..nmax). */
function requantize(
  x: Float32Array,
  from: number,
  out: Uint8Array,
  at: number,
  levels: Uint8Array,
  nmax: number,
): void {
  const d = fp16ToFp32(readU16(out, at));
  const dmin = fp16ToFp32(readU16(out, at + 2));
  for (let j = 0; j < QK_K / 32; j++) {
    const { scale, min } = scaleMinK4(j, out, at + 4);
    const groupScale = f32(d * scale);
    if (groupScale === 0) continue; // C `!d`: NaN is not zero, so it does not skip
    const groupMin = f32(dmin * min);
    for (let ii = 0; ii < 32; ii++) {
      const l = nearestInt(f32(f32(x[from + 32 * j + ii]! + groupMin) / groupScale));
      levels[32 * j + ii] = Math.max(0, Math.min(nmax, l));
    }
  }
}

/**
 * quantize_row_q4_K_impl / q5_K_impl: weights qw·sqrt(σ² + x²) with σ² = 2·Σx²/256, groups fitted by
 * make_qkx3_quants, and the group scales and mins themselves quantized by make_qp_quants.
 */
export function encodeScaleMinWeighted(
  x: Float32Array,
  from: number,
  out: Uint8Array,
  at: number,
  levels: Uint8Array,
  nmax: number,
  importance: Float32Array,
  importanceFrom: number,
  clampCodes: boolean,
): void {
  let sumX2 = 0;
  for (let l = 0; l < QK_K; l++) sumX2 = f32(sumX2 + f32(x[from + l]! * x[from + l]!));
  const sigma2 = f32(f32(2 * sumX2) / QK_K);
  for (let j = 0; j < QK_K / 32; j++) {
    let sumW = 0;
    for (let l = 0; l < 32; l++) {
      const value = x[from + 32 * j + l]!;
      weights[l] = f32(
        importance[importanceFrom + 32 * j + l]! * f32(Math.sqrt(f32(sigma2 + f32(value * value)))),
      );
      sumW = f32(sumW + weights[l]!);
    }
    groupWeights[j] = sumW;
    makeQkx3Quants(32, nmax, x, from + 32 * j, weights, levels, 32 * j, scratch, -0.9, f32(0.05), 36, fit);
    scales[j] = fit.scale;
    mins[j] = fit.min;
  }
  const dBlock = makeQpQuants(QK_K / 32, 63, scales, scaleLevels, groupWeights);
  const mBlock = makeQpQuants(QK_K / 32, 63, mins, minLevels, groupWeights);
  for (let j = 0; j < QK_K / 32; j++) {
    // Q5_K clamps the codes to 63; Q4_K packs them as they are. They only exceed 63 when a degenerate fit
    // (nearly all weights zero) gave a negative group scale, whose level -3 make_qp_quants stores as 253.
    const ls = clampCodes ? Math.min(63, scaleLevels[j]!) : scaleLevels[j]!;
    const lm = clampCodes ? Math.min(63, minLevels[j]!) : minLevels[j]!;
    packScaleMin(out, at + 4, j, ls, lm);
  }
  writeU16(out, at, fp32ToFp16(dBlock));
  writeU16(out, at + 2, fp32ToFp16(mBlock));
  requantize(x, from, out, at, levels, nmax);
}

/** Search settings of `make_qkx2_quants` for one format. */
export interface ScaleMinSearch {
  readonly nmax: number;
  readonly rmin: number;
  readonly steps: number;
}

/**
 * Fits the eight group scales and mins, writes `d`, `dmin` (at `at`, `at + 2`) and the 12 packed scale bytes
 * (at `at + 4`), then requantizes every element against the rounded scales into `levels` (0..nmax).
 */
export function encodeScaleMin(
  x: Float32Array,
  from: number,
  out: Uint8Array,
  at: number,
  levels: Uint8Array,
  search: ScaleMinSearch,
): void {
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < QK_K / 32; j++) {
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) {
      const value = x[from + 32 * j + l]!;
      sumX2 = f32(sumX2 + f32(value * value));
    }
    const averageX = f32(Math.sqrt(f32(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = f32(averageX + Math.abs(x[from + 32 * j + l]!));
    makeQkx2Quants(
      32,
      search.nmax,
      x,
      from + 32 * j,
      weights,
      levels,
      32 * j,
      scratch,
      search.rmin,
      f32(0.1),
      search.steps,
      false,
      fit,
    );
    scales[j] = fit.scale;
    mins[j] = fit.min;
    if (fit.scale > maxScale) maxScale = fit.scale;
    if (fit.min > maxMin) maxMin = fit.min;
  }
  const inverseScale = maxScale > 0 ? f32(63 / maxScale) : 0;
  const inverseMin = maxMin > 0 ? f32(63 / maxMin) : 0;
  const packed = at + 4;
  for (let j = 0; j < QK_K / 32; j++) {
    const ls = Math.min(63, nearestU8(f32(inverseScale * scales[j]!)));
    const lm = Math.min(63, nearestU8(f32(inverseMin * mins[j]!)));
    packScaleMin(out, packed, j, ls, lm);
  }
  writeU16(out, at, fp32ToFp16(f32(maxScale / 63)));
  writeU16(out, at + 2, fp32ToFp16(f32(maxMin / 63)));
  requantize(x, from, out, at, levels, search.nmax);
}

/** Scale and min (as floats) of group `j`, from `d`, `dmin` and the packed bytes of a Q4_K/Q5_K block. */
export function groupScaleMin(bytes: Uint8Array, at: number, j: number): { scale: number; min: number } {
  const d = fp16ToFp32(readU16(bytes, at));
  const dmin = fp16ToFp32(readU16(bytes, at + 2));
  const { scale, min } = scaleMinK4(j, bytes, at + 4);
  return { scale: f32(d * scale), min: f32(dmin * min) };
}
