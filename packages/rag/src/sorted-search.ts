/**
 * The largest k in `[low, high]` with `sorted[k] <= value`, or `low - 1` when there is none (`sorted`
 * does not decrease).
 *
 * @example
 * ```ts
 * lastAtMost(Int32Array.of(0, 3, 3, 8), 0, 3, 5); // 2
 * lastAtMost(Int32Array.of(4, 9), 0, 1, 2); // -1
 * ```
 */
export function lastAtMost(sorted: Int32Array, low: number, high: number, value: number): number {
  let from = low - 1;
  let to = high;
  while (from < to) {
    const middle = (from + to + 1) >> 1;
    if (sorted[middle]! <= value) from = middle;
    else to = middle - 1;
  }
  return from;
}

/**
 * The smallest k in `[low, high]` with `sorted[k] >= value`, or `high` when there is none (`sorted` does
 * not decrease).
 *
 * @example
 * ```ts
 * firstAtLeast(Int32Array.of(0, 3, 3, 8), 0, 3, 3); // 1
 * ```
 */
export function firstAtLeast(sorted: Int32Array, low: number, high: number, value: number): number {
  let from = low;
  let to = high;
  while (from < to) {
    const middle = (from + to) >> 1;
    if (sorted[middle]! >= value) to = middle;
    else from = middle + 1;
  }
  return from;
}
