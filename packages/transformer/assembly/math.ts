// Vectorised elementary functions shared by the kernels.

/**
 * e^x for four lanes: Cephes' expf (x = n·ln2 + r, |r| ≤ ln2/2, degree-6 polynomial for e^r, 2^n built in
 * the exponent bits); relative error about 2e-7. Inputs are clamped to [−87, 88], where 2^n stays normal.
 */
@inline export function exp4(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.0)), f32x4.splat(88.0)); // pmin/pmax: one instruction each (min/max handle NaN and −0 in several)
  // n = round(x / ln 2) by the 1.5·2^23 trick: the sum's low mantissa bits are n as an integer
  const shifted = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(12582912.0));
  const n = f32x4.sub(shifted, f32x4.splat(12582912.0));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375))); // ln 2 split in two parts (Cephes C1, C2)
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1.0));
  const pow2 = i32x4.shl(i32x4.add(i32x4.sub(shifted, i32x4.splat(0x4b400000)), i32x4.splat(127)), 23); // 2^n
  return f32x4.mul(p, pow2);
}

@inline export function sigmoid4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), exp4(f32x4.neg(x))));
}

@inline export function tanh4(x: v128): v128 {
  // tanh x = 2σ(2x) − 1
  return f32x4.sub(f32x4.mul(f32x4.splat(2.0), sigmoid4(f32x4.add(x, x))), f32x4.splat(1.0));
}


/**
 * ln x for normal x > 0 without lookup tables (AssemblyScript's Mathf.log keeps one in a data segment, and
 * this module must not write anything into the memory it imports): x = m · 2^e with m in [√½, √2),
 * ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172, by its series to s⁹ (error below 1e-9).
 */
@inline export function logf(x: f32): f32 {
  const bits = reinterpret<u32>(x);
  let exponent = <i32>((bits >> 23) & 0xff) - 127;
  let m = reinterpret<f32>((bits & 0x007fffff) | 0x3f800000); // [1, 2)
  if (m > <f32>1.41421356) {
    m *= 0.5;
    exponent++;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  const series = s * (<f32>2 + s2 * (<f32>0.6666667 + s2 * (<f32>0.4 + s2 * (<f32>0.2857143 + s2 * <f32>0.2222222))));
  return <f32>exponent * <f32>0.6931472 + series;
}
