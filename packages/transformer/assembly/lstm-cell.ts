// The pointwise part of an LSTM cell, four lanes at a time, with a vectorised exp (the JavaScript Math.exp
// and Math.tanh cost 30–80 ns a value here, which made a JavaScript cell slower than tfjs's ops).
import { sigmoid4, tanh4 } from './math';

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
