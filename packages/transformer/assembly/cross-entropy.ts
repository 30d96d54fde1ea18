// Softmax cross-entropy over a vocabulary in one pass per row (forward) and one per row (backward), with
// the vectorised exp: tfjs's composite (one-hot, log-softmax, multiply, sum) made five passes over the
// [tokens, vocab] logits and allocated a one-hot matrix of the same size.
import { exp4, logf } from './math';

/** Largest of a row's values. */
function rowMax(row: usize, vocab: i32): f32 {
  let best = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= vocab; j += 4) best = f32x4.pmax(best, v128.load(row + ((<usize>j) << 2)));
  let value = max(max(f32x4.extract_lane(best, 0), f32x4.extract_lane(best, 1)), max(f32x4.extract_lane(best, 2), f32x4.extract_lane(best, 3)));
  for (; j < vocab; j++) value = max(value, load<f32>(row + ((<usize>j) << 2)));
  return value;
}

/** Σ exp(x − shift) over a row. */
function rowExpSum(row: usize, vocab: i32, shift: f32): f32 {
  const s = f32x4.splat(shift);
  let sum = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= vocab; j += 4) sum = f32x4.add(sum, exp4(f32x4.sub(v128.load(row + ((<usize>j) << 2)), s)));
  let total = f32x4.extract_lane(sum, 0) + f32x4.extract_lane(sum, 1) + f32x4.extract_lane(sum, 2) + f32x4.extract_lane(sum, 3);
  for (; j < vocab; j++) total += f32x4.extract_lane(exp4(f32x4.splat(load<f32>(row + ((<usize>j) << 2)) - shift)), 0);
  return total;
}

/**
 * logits [rows, vocab], targets [rows] (int32) → losses[r] = logsumexp(logits[r]) − logits[r][target[r]],
 * and logsumexp[r] kept for the gradient.
 */
export function crossEntropyForward(logits: usize, targets: usize, losses: usize, logSumExp: usize, rows: i32, vocab: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = logits + ((<usize>r * vocab) << 2);
    const shift = rowMax(row, vocab);
    const lse = shift + logf(rowExpSum(row, vocab, shift));
    const target = load<i32>(targets + ((<usize>r) << 2));
    store<f32>(logSumExp + ((<usize>r) << 2), lse);
    store<f32>(losses + ((<usize>r) << 2), lse - load<f32>(row + ((<usize>target) << 2)));
  }
}

/** d logits[r] = upstream[r] · (softmax(logits[r]) − onehot(target[r])), softmax = exp(x − logsumexp). */
export function crossEntropyBackward(logits: usize, targets: usize, upstream: usize, logSumExp: usize, gradient: usize, rows: i32, vocab: i32): void {
  for (let r = 0; r < rows; r++) {
    const offset = (<usize>r * vocab) << 2;
    const row = logits + offset;
    const out = gradient + offset;
    const scale = load<f32>(upstream + ((<usize>r) << 2));
    const lse = f32x4.splat(load<f32>(logSumExp + ((<usize>r) << 2)));
    const factor = f32x4.splat(scale);
    let j = 0;
    for (; j + 4 <= vocab; j += 4) {
      const at = (<usize>j) << 2;
      v128.store(out + at, f32x4.mul(factor, exp4(f32x4.sub(v128.load(row + at), lse))));
    }
    for (; j < vocab; j++) {
      const at = (<usize>j) << 2;
      store<f32>(out + at, scale * f32x4.extract_lane(exp4(f32x4.splat(load<f32>(row + at) - f32x4.extract_lane(lse, 0))), 0));
    }
    const target = load<i32>(targets + ((<usize>r) << 2));
    const at = out + ((<usize>target) << 2);
    store<f32>(at, load<f32>(at) - scale);
  }
}
