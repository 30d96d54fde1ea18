// The scale searches of ggml-quants.c used by the K-quant reference quantizers, step for step in float32.
import { f32, GROUP_MAX_EPS, nearestInt } from '../float32-math.js';

const clamp = (value: number, low: number, high: number) => Math.max(low, Math.min(high, value));

/**
 * The value of largest magnitude in `x[from, from + n)`, sign kept, first one on ties (ggml's
 * `if (amax < fabsf(v))` / `if (ax > amax)` scans), and that magnitude.
 */
export function largestMagnitude(x: Float32Array, from: number, n: number): { max: number; amax: number } {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[from + i]!);
    if (ax > amax) {
      amax = ax;
      max = x[from + i]!;
    }
  }
  return { max, amax };
}
const ONE_TENTH = Math.fround(0.1); // 0.1f

/**
 * `make_qx_quants(n, nmax, x, L, rmse_type = 1, qw)`: symmetric levels in [0, 2·nmax), weighted by `qw`
 * (`weights[weightsFrom..]`) or else by x², trying 18 scales around nmax/max and keeping the best weighted
 * fit. Writes `levels[at..]`, returns the scale.
 */
export function makeQxQuants(
  n: number,
  nmax: number,
  x: Float32Array,
  from: number,
  levels: Int8Array,
  at: number,
  weights?: Float32Array,
  weightsFrom = 0,
): number {
  const { max, amax } = largestMagnitude(x, from, n);
  if (amax < GROUP_MAX_EPS) {
    levels.fill(0, at, at + n);
    return 0;
  }
  let iscale = f32(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const value = x[from + i]!;
    const l = clamp(nearestInt(f32(iscale * value)), -nmax, nmax - 1);
    levels[at + i] = l + nmax;
    const w = weights ? weights[weightsFrom + i]! : f32(value * value);
    sumlx = f32(sumlx + f32(f32(w * value) * l));
    suml2 = f32(suml2 + f32(f32(w * l) * l));
  }
  let scale = suml2 !== 0 ? f32(sumlx / suml2) : 0; // C truthiness: NaN counts as true
  let best = f32(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = f32(-f32(nmax + f32(ONE_TENTH * is)) / max);
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const value = x[from + i]!;
      const l = clamp(nearestInt(f32(iscale * value)), -nmax, nmax - 1);
      const w = weights ? weights[weightsFrom + i]! : f32(value * value);
      sumlx = f32(sumlx + f32(f32(w * value) * l));
      suml2 = f32(suml2 + f32(f32(w * l) * l));
    }
    if (suml2 > 0 && f32(sumlx * sumlx) > f32(best * suml2)) {
      for (let i = 0; i < n; i++)
        levels[at + i] = nmax + clamp(nearestInt(f32(iscale * x[from + i]!)), -nmax, nmax - 1);
      scale = f32(sumlx / suml2);
      best = f32(scale * sumlx);
    }
  }
  return scale;
}

/**
 * `make_q3_quants(n, nmax, x, L, do_rmse = true)`: symmetric levels, then up to 5 passes that move single
 * levels while the weighted fit improves. Writes levels in [0, 2·nmax) (all 0 for an all-zero group).
 */
export function makeQ3Quants(
  n: number,
  nmax: number,
  x: Float32Array,
  from: number,
  levels: Int8Array,
  at: number,
): number {
  const { max, amax } = largestMagnitude(x, from, n);
  if (amax < GROUP_MAX_EPS) {
    levels.fill(0, at, at + n);
    return 0;
  }
  const iscale = f32(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const value = x[from + i]!;
    const l = clamp(nearestInt(f32(iscale * value)), -nmax, nmax - 1);
    levels[at + i] = l;
    const w = f32(value * value);
    sumlx = f32(sumlx + f32(f32(w * value) * l));
    suml2 = f32(suml2 + f32(f32(w * l) * l));
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const value = x[from + i]!;
      const current = levels[at + i]!;
      const w = f32(value * value);
      let slx = f32(sumlx - f32(f32(w * value) * current));
      if (slx > 0) {
        let sl2 = f32(suml2 - f32(f32(w * current) * current));
        const next = clamp(nearestInt(f32(f32(value * sl2) / slx)), -nmax, nmax - 1);
        if (next !== current) {
          slx = f32(slx + f32(f32(w * value) * next));
          sl2 = f32(sl2 + f32(f32(w * next) * next));
          if (sl2 > 0 && f32(f32(slx * slx) * suml2) > f32(f32(sumlx * sumlx) * sl2)) {
            levels[at + i] = next;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (changed === 0) break;
  }
  for (let i = 0; i < n; i++) levels[at + i] = levels[at + i]! + nmax;
  return suml2 > 0 ? f32(sumlx / suml2) : 0;
}

/** Result of {@link makeQkx2Quants}: the scale and the (positive) minimum to subtract. */
export interface ScaleAndMin {
  scale: number;
  min: number;
}

const MAX_GROUP = 32;
const group = new Float32Array(MAX_GROUP);
const shifted = new Float32Array(MAX_GROUP); // x - min for the current min, as float32
const weightsF = new Float32Array(MAX_GROUP);

/** nearest_int(v) clamped to [0, nmax]. */
function level(value: number, nmax: number): number {
  const l = nearestInt(value);
  return Math.max(0, Math.min(nmax, l));
}

/**
 * `make_qkx2_quants`: asymmetric levels in [0, nmax] with a fitted scale and min, searching `steps + 1`
 * scales from (nmax + rmin)/(max - min) in `rdelta` steps under the given weights (mean absolute error
 * when `useMad`, else squared error). Writes `levels[at..]`; `scratch` holds n bytes. Every float
 * operation is rounded to float32 in the C order of evaluation.
 */
export function makeQkx2Quants(
  n: number,
  nmax: number,
  x: Float32Array,
  from: number,
  weights: Float32Array,
  levels: Uint8Array,
  at: number,
  scratch: Uint8Array,
  rmin: number,
  rdelta: number,
  steps: number,
  useMad: boolean,
  result: ScaleAndMin,
): void {
  for (let i = 0; i < n; i++) {
    group[i] = x[from + i]!;
    weightsF[i] = weights[i]!;
  }
  let min = group[0]!;
  let max = group[0]!;
  let sumW = weightsF[0]!;
  let sumX = f32(sumW * group[0]!);
  for (let i = 1; i < n; i++) {
    const value = group[i]!;
    if (value < min) min = value;
    if (value > max) max = value;
    const w = weightsF[i]!;
    sumW = f32(sumW + w);
    sumX = f32(sumX + f32(w * value));
  }
  if (min > 0) min = 0;
  if (max === min) {
    levels.fill(0, at, at + n);
    result.scale = 0;
    result.min = -min;
    return;
  }
  for (let i = 0; i < n; i++) shifted[i] = group[i]! - min;
  let iscale = f32(nmax / f32(max - min));
  let scale = f32(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = level(f32(iscale * shifted[i]!), nmax);
    levels[at + i] = l;
    let diff = f32(f32(f32(scale * l) + min) - group[i]!);
    diff = useMad ? Math.abs(diff) : f32(diff * diff);
    bestError = f32(bestError + f32(weightsF[i]! * diff));
  }
  if (steps < 1) {
    result.scale = scale;
    result.min = -min;
    return;
  }
  for (let is = 0; is <= steps; is++) {
    // `min` improves inside this loop, and both the range and the offset below use its current value.
    iscale = f32(f32(f32(rmin + f32(rdelta * is)) + nmax) / f32(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = level(f32(iscale * shifted[i]!), nmax);
      scratch[i] = l;
      const wl = f32(weightsF[i]! * l);
      sumL = f32(sumL + wl);
      sumL2 = f32(sumL2 + f32(wl * l));
      sumXL = f32(sumXL + f32(wl * group[i]!));
    }
    const determinant = f32(f32(sumW * sumL2) - f32(sumL * sumL));
    if (determinant > 0) {
      let thisScale = f32(f32(f32(sumW * sumXL) - f32(sumX * sumL)) / determinant);
      let thisMin = f32(f32(f32(sumL2 * sumX) - f32(sumL * sumXL)) / determinant);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f32(sumXL / sumL2);
      }
      let error = 0;
      for (let i = 0; i < n; i++) {
        let diff = f32(f32(f32(thisScale * scratch[i]!) + thisMin) - group[i]!);
        diff = useMad ? Math.abs(diff) : f32(diff * diff);
        error = f32(error + f32(weightsF[i]! * diff));
      }
      if (error < bestError) {
        for (let i = 0; i < n; i++) levels[at + i] = scratch[i]!;
        bestError = error;
        scale = thisScale;
        if (thisMin !== min) {
          min = thisMin;
          for (let i = 0; i < n; i++) shifted[i] = group[i]! - min;
        }
      }
    }
  }
  result.scale = scale;
  result.min = -min;
}

/** `get_scale_min_k4`: the 6-bit scale and min of sub-block `j` from the 12 packed bytes at `bytes[at..]`. */
export function scaleMinK4(j: number, bytes: Uint8Array, at: number): { scale: number; min: number } {
  if (j < 4) return { scale: bytes[at + j]! & 63, min: bytes[at + j + 4]! & 63 };
  return {
    scale: (bytes[at + j + 4]! & 0xf) | ((bytes[at + j - 4]! >> 6) << 4),
    min: (bytes[at + j + 4]! >> 4) | ((bytes[at + j]! >> 6) << 4),
  };
}

/** C `nearest_int` followed by a store to `uint8_t`. */
export function nearestU8(value: number): number {
  return nearestInt(value) & 0xff;
}

/**
 * `make_qkx3_quants` with weights: like {@link makeQkx2Quants} with squared error and a wider search, as the
 * importance-matrix quantizers use it.
 */
export function makeQkx3Quants(
  n: number,
  nmax: number,
  x: Float32Array,
  from: number,
  weights: Float32Array,
  levels: Uint8Array,
  at: number,
  scratch: Uint8Array,
  rmin: number,
  rdelta: number,
  steps: number,
  result: ScaleAndMin,
): void {
  let min = x[from]!;
  let max = x[from]!;
  let sumW = weights[0]!;
  let sumX = f32(sumW * x[from]!);
  for (let i = 1; i < n; i++) {
    const value = x[from + i]!;
    if (value < min) min = value;
    if (value > max) max = value;
    const w = weights[i]!;
    sumW = f32(sumW + w);
    sumX = f32(sumX + f32(w * value));
  }
  if (min > 0) min = 0;
  if (max <= min) {
    levels.fill(0, at, at + n);
    result.scale = 0;
    result.min = -min;
    return;
  }
  const iscale = f32(nmax / f32(max - min));
  let scale = f32(1 / iscale);
  let bestMad = 0;
  for (let i = 0; i < n; i++) {
    const value = x[from + i]!;
    const l = clamp(nearestInt(f32(iscale * f32(value - min))), 0, nmax);
    levels[at + i] = l;
    const diff = f32(f32(f32(scale * l) + min) - value);
    bestMad = f32(bestMad + f32(weights[i]! * f32(diff * diff)));
  }
  if (steps < 1) {
    result.scale = scale;
    result.min = -min;
    return;
  }
  for (let is = 0; is <= steps; is++) {
    const stepScale = f32(f32(f32(rmin + f32(rdelta * is)) + nmax) / f32(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      // The llama.cpp this package is tested against (node-llama-cpp's ggml) clamps after nearest_int, so a
      // min that moved near max gives out-of-range v and nearest_int's bit-trick value; newer ggml guards
      // with `v > 0 ? nearest_int(MIN(v, nmax)) : 0`. Degenerate weights (all but a few zero) reach it.
      const l = clamp(nearestInt(f32(stepScale * f32(x[from + i]! - min))), 0, nmax);
      scratch[i] = l;
      const wl = f32(weights[i]! * l);
      sumL = f32(sumL + wl);
      sumL2 = f32(sumL2 + f32(wl * l));
      sumXL = f32(sumXL + f32(wl * x[from + i]!));
    }
    const determinant = f32(f32(sumW * sumL2) - f32(sumL * sumL));
    if (determinant > 0) {
      let thisScale = f32(f32(f32(sumW * sumXL) - f32(sumX * sumL)) / determinant);
      let thisMin = f32(f32(f32(sumL2 * sumX) - f32(sumL * sumXL)) / determinant);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f32(sumXL / sumL2);
      }
      let mad = 0;
      for (let i = 0; i < n; i++) {
        const diff = f32(f32(f32(thisScale * scratch[i]!) + thisMin) - x[from + i]!);
        mad = f32(mad + f32(weights[i]! * f32(diff * diff)));
      }
      if (mad < bestMad) {
        for (let i = 0; i < n; i++) levels[at + i] = scratch[i]!;
        bestMad = mad;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  result.scale = scale;
  result.min = -min;
}

/**
 * `make_qp_quants`: levels in [0, nmax] for non-negative values (the sub-block scales and mins of the
 * importance-matrix K-quants): a search of ±4 tenths around nmax/max, then up to 5 passes moving single
 * levels while the weighted fit improves. Writes `levels[0, n)` and returns the scale.
 */
export function makeQpQuants(
  n: number,
  nmax: number,
  x: Float32Array,
  levels: Uint8Array,
  weights: Float32Array,
): number {
  let max = 0;
  // C MAX(max, x[i]): a NaN max yields x[i], where Math.max would stay NaN.
  // biome-ignore lint/complexity/useMathMinMax: keeps C's NaN behaviour
  for (let i = 0; i < n; i++) max = max > x[i]! ? max : x[i]!;
  if (max < GROUP_MAX_EPS) {
    levels.fill(0, 0, n);
    return 0;
  }
  let iscale = f32(nmax / max);
  for (let i = 0; i < n; i++) levels[i] = nearestInt(f32(iscale * x[i]!)) & 0xff;
  const scale = f32(1 / iscale);
  let bestMse = 0;
  for (let i = 0; i < n; i++) {
    const diff = f32(x[i]! - f32(scale * levels[i]!));
    bestMse = f32(bestMse + f32(f32(weights[i]! * diff) * diff));
  }
  for (let is = -4; is <= 4; is++) {
    if (is === 0) continue;
    const iscaleIs = f32(f32(f32(ONE_TENTH * is) + nmax) / max);
    const scaleIs = f32(1 / iscaleIs);
    let mse = 0;
    for (let i = 0; i < n; i++) {
      const l = Math.min(nmax, nearestInt(f32(iscaleIs * x[i]!)));
      const diff = f32(x[i]! - f32(scaleIs * l));
      mse = f32(mse + f32(f32(weights[i]! * diff) * diff));
    }
    if (mse < bestMse) {
      bestMse = mse;
      iscale = iscaleIs;
    }
  }
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const l = Math.min(nmax, nearestInt(f32(iscale * x[i]!)));
    levels[i] = l & 0xff;
    const w = weights[i]!;
    sumlx = f32(sumlx + f32(f32(w * x[i]!) * l));
    suml2 = f32(suml2 + f32(f32(w * l) * l));
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      const current = levels[i]!;
      let slx = f32(sumlx - f32(f32(w * x[i]!) * current));
      let sl2 = f32(suml2 - f32(f32(w * current) * current));
      if (slx > 0 && sl2 > 0) {
        const next = Math.min(nmax, nearestInt(f32(f32(x[i]! * sl2) / slx)));
        if (next !== current) {
          slx = f32(slx + f32(f32(w * x[i]!) * next));
          sl2 = f32(sl2 + f32(f32(w * next) * next));
          if (f32(f32(slx * slx) * suml2) > f32(f32(sumlx * sumlx) * sl2)) {
            levels[i] = next & 0xff;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (changed === 0) break;
  }
  return suml2 > 0 ? f32(sumlx / suml2) : 0;
}
