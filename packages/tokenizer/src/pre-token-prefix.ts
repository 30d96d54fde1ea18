import { hashUnits, type PieceCountTable } from './piece-count-table.js';

/**
 * Running token counts over the pieces `[starts[i], starts[i + 1])` of `units` (from `unitsOf`): `prefix[i]`
 * is the number of tokens before piece i, so the pieces from i to j hold `prefix[j] - prefix[i]` tokens.
 * Counts of pieces up to `maxCached` units come from `table`; a miss, or a longer piece, asks `countPiece`
 * (the BPE), and a miss's answer is stored. The TypeScript path of `BpeTokenizerCore.preTokenPrefix`, where
 * WebAssembly is unavailable.
 *
 * @example
 * ```ts
 * // "hello world!" in cl100k pieces "hello" " world" "!"
 * prefixCounts(unitsOf(text), Int32Array.of(0, 5, 11, 12), 3, new PieceCountTable(), 256, countPiece); // [0, 1, 2, 3]
 * ```
 */
export function prefixCounts(
  units: Uint16Array,
  starts: Int32Array,
  pieces: number,
  table: PieceCountTable,
  maxCached: number,
  countPiece: (from: number, to: number) => number,
): Int32Array {
  const prefix = new Int32Array(pieces + 1);
  let total = 0;
  for (let i = 0; i < pieces; i++) {
    const from = starts[i]!;
    const to = starts[i + 1]!;
    let count: number;
    if (to - from <= maxCached) {
      const hash = hashUnits(units, from, to);
      count = table.get(units, from, to, hash);
      if (count < 0) {
        count = countPiece(from, to);
        table.set(units, from, to, hash, count);
      }
    } else count = countPiece(from, to);
    total += count;
    prefix[i + 1] = total;
  }
  return prefix;
}
