// Sums of a row-major [outer, inner] float32 matrix over its rows or along them, four lanes at a time
// (the gradient of a broadcast bias sums [batch·seq, features] over its rows; tfjs's wasm Sum transposes
// first when the summed axes lead).

/** out[j] = Σ_i x[i·inner + j]: rows added in order into out (inner floats, kept in L1). */
export function sumOverRows(x: usize, out: usize, outer: i32, inner: i32): void {
  memory.fill(out, 0, (<usize>inner) << 2);
  const vectorEnd = inner & ~3;
  for (let i = 0; i < outer; i++) {
    const row = x + (((<usize>i) * <usize>inner) << 2);
    let j = 0;
    for (; j < vectorEnd; j += 4) {
      const at = (<usize>j) << 2;
      v128.store(out + at, f32x4.add(v128.load(out + at), v128.load(row + at)));
    }
    for (; j < inner; j++) {
      const at = (<usize>j) << 2;
      store<f32>(out + at, load<f32>(out + at) + load<f32>(row + at));
    }
  }
}

/** out[i] = Σ_j x[i·inner + j]: four partial sums a row, then added across. */
export function sumAlongRows(x: usize, out: usize, outer: i32, inner: i32): void {
  const vectorEnd = inner & ~3;
  for (let i = 0; i < outer; i++) {
    const row = x + (((<usize>i) * <usize>inner) << 2);
    let partial = f32x4.splat(0);
    let j = 0;
    for (; j < vectorEnd; j += 4) partial = f32x4.add(partial, v128.load(row + ((<usize>j) << 2)));
    let total =
      f32x4.extract_lane(partial, 0) +
      f32x4.extract_lane(partial, 1) +
      (f32x4.extract_lane(partial, 2) + f32x4.extract_lane(partial, 3));
    for (; j < inner; j++) total += load<f32>(row + ((<usize>j) << 2));
    store<f32>(out + ((<usize>i) << 2), total);
  }
}
