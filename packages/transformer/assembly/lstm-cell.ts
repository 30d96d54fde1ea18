// The pointwise part of an LSTM cell, four lanes at a time, with a vectorised exp (the JavaScript Math.exp
// and Math.tanh cost 30–80 ns a value here, which made a JavaScript cell slower than tfjs's ops).

/**
 * e^x for four lanes: Cephes' expf (x = n·ln2 + r, |r| ≤ ln2/2, degree-6 polynomial for e^r, 2^n built in
 * the exponent bits); relative error about 2e-7. Inputs are clamped to [−87, 88], where 2^n stays normal.
 */
@inline function exp4(x: v128): v128 {
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

@inline function sigmoid4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), exp4(f32x4.neg(x))));
}

@inline function tanh4(x: v128): v128 {
  // tanh x = 2σ(2x) − 1
  return f32x4.sub(f32x4.mul(f32x4.splat(2.0), sigmoid4(f32x4.add(x, x))), f32x4.splat(1.0));
}

/** Four values from `at` (lanes past `count` read as zero, never read from memory). */
@inline function load4(at: usize, count: i32): v128 {
  if (count >= 4) return v128.load(at);
  let v = f32x4.splat(0);
  if (count > 0) v = f32x4.replace_lane(v, 0, load<f32>(at));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(at, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(at, 8));
  return v;
}

@inline function store4(at: usize, v: v128, count: i32): void {
  if (count >= 4) {
    v128.store(at, v);
    return;
  }
  if (count > 0) store<f32>(at, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(at, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(at, f32x4.extract_lane(v, 2), 8);
}

/**
 * gates [batch, 4·hidden] (i, f, g, o pre-activations), c [batch, hidden] → next c' = σ(f)·c + σ(i)·tanh(g),
 * h = σ(o)·tanh(c'), and the activations [batch, 5·hidden] (σ(i), σ(f), tanh(g), σ(o), tanh(c')) that the
 * gradient reuses.
 */
export function lstmCellForward(gates: usize, c: usize, h: usize, next: usize, act: usize, batch: i32, hidden: i32): void {
  const width = (<usize>hidden) << 2;
  for (let b = 0; b < batch; b++) {
    const g = gates + <usize>b * 4 * width;
    const a = act + <usize>b * 5 * width;
    const row = <usize>b * width;
    for (let j = 0; j < hidden; j += 4) {
      const count = hidden - j;
      const at = (<usize>j) << 2;
      const i = sigmoid4(load4(g + at, count));
      const f = sigmoid4(load4(g + width + at, count));
      const candidate = tanh4(load4(g + 2 * width + at, count));
      const o = sigmoid4(load4(g + 3 * width + at, count));
      const cell = f32x4.add(f32x4.mul(f, load4(c + row + at, count)), f32x4.mul(i, candidate));
      const t = tanh4(cell);
      store4(next + row + at, cell, count);
      store4(h + row + at, f32x4.mul(o, t), count);
      store4(a + at, i, count);
      store4(a + width + at, f, count);
      store4(a + 2 * width + at, candidate, count);
      store4(a + 3 * width + at, o, count);
      store4(a + 4 * width + at, t, count);
    }
  }
}
