import type { PairTable } from './pair-table.js';

const NO_MERGE = 0x7fffffff;
/** Chunks up to this many symbols use the quadratic scan, which beats a heap on short words. */
const SHORT_CHUNK = 96;

let pairRanks = new Int32Array(256);

/**
 * Applies BPE merges to `ids[0, length)` in place: repeatedly merges the adjacent pair with the lowest rank,
 * leftmost first on ties (the order of tiktoken's `byte_pair_merge` and Hugging Face's `Word::merge_all`).
 * Returns the new length. Long inputs take an O(n log n) heap path, so a 1,000,000-byte word is fast.
 */
export function applyMerges(ids: Int32Array, length: number, table: PairTable): number {
  if (length < 2) return length;
  return length <= SHORT_CHUNK ? mergeShort(ids, length, table) : mergeLong(ids, length, table);
}

function rankOf(table: PairTable, left: number, right: number): number {
  const rank = table.get(left, right);
  return rank < 0 ? NO_MERGE : rank;
}

function mergeShort(ids: Int32Array, length: number, table: PairTable): number {
  if (pairRanks.length < length) pairRanks = new Int32Array(length * 2);
  const ranks = pairRanks;
  const resultOf = table.resultOf;
  // ranks[i] is the rank of the pair (ids[i], ids[i + 1]).
  for (let i = 0; i < length - 1; i++) ranks[i] = rankOf(table, ids[i]!, ids[i + 1]!);
  while (length > 1) {
    let best = NO_MERGE;
    let at = -1;
    for (let i = 0; i < length - 1; i++) {
      const rank = ranks[i]!;
      if (rank < best) {
        best = rank;
        at = i;
      }
    }
    if (at < 0) break;
    ids[at] = resultOf[best]!;
    for (let j = at + 1; j < length - 1; j++) {
      ids[j] = ids[j + 1]!;
      ranks[j] = ranks[j + 1]!;
    }
    length--;
    ranks[at] = at + 1 < length ? rankOf(table, ids[at]!, ids[at + 1]!) : NO_MERGE;
    if (at > 0) ranks[at - 1] = rankOf(table, ids[at - 1]!, ids[at]!);
  }
  return length;
}

/** Min-heap of (rank, position) pairs, compared rank first, then position. */
class PairHeap {
  ranks: Int32Array;
  positions: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.ranks = new Int32Array(capacity);
    this.positions = new Int32Array(capacity);
  }
  private less(a: number, b: number): boolean {
    const rankA = this.ranks[a]!;
    const rankB = this.ranks[b]!;
    return rankA < rankB || (rankA === rankB && this.positions[a]! < this.positions[b]!);
  }
  private swap(a: number, b: number): void {
    const rank = this.ranks[a]!;
    const position = this.positions[a]!;
    this.ranks[a] = this.ranks[b]!;
    this.positions[a] = this.positions[b]!;
    this.ranks[b] = rank;
    this.positions[b] = position;
  }
  push(rank: number, position: number): void {
    if (this.size === this.ranks.length) {
      const ranks = new Int32Array(this.size * 2);
      const positions = new Int32Array(this.size * 2);
      ranks.set(this.ranks);
      positions.set(this.positions);
      this.ranks = ranks;
      this.positions = positions;
    }
    let at = this.size++;
    this.ranks[at] = rank;
    this.positions[at] = position;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.less(at, parent)) break;
      this.swap(at, parent);
      at = parent;
    }
  }
  /** Removes the top; read `ranks[0]` and `positions[0]` before calling. */
  pop(): void {
    this.size--;
    this.ranks[0] = this.ranks[this.size]!;
    this.positions[0] = this.positions[this.size]!;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= this.size) break;
      const child = left + 1 < this.size && this.less(left + 1, left) ? left + 1 : left;
      if (!this.less(child, at)) break;
      this.swap(child, at);
      at = child;
    }
  }
}

function mergeLong(ids: Int32Array, length: number, table: PairTable): number {
  const previous = new Int32Array(length);
  const next = new Int32Array(length);
  const heap = new PairHeap(length);
  for (let i = 0; i < length; i++) {
    previous[i] = i - 1;
    next[i] = i + 1 < length ? i + 1 : -1;
    if (i + 1 < length) {
      const rank = table.get(ids[i]!, ids[i + 1]!);
      if (rank >= 0) heap.push(rank, i);
    }
  }
  while (heap.size > 0) {
    const rank = heap.ranks[0]!;
    const at = heap.positions[0]!;
    heap.pop();
    const right = next[at]!;
    // Entries go stale when a neighbour merged; a live entry still names the same pair at the same place.
    if (ids[at] === -1 || right === -1 || table.get(ids[at]!, ids[right]!) !== rank) continue;
    ids[at] = table.resultOf[rank]!;
    ids[right] = -1;
    const after = next[right]!;
    next[at] = after;
    if (after !== -1) previous[after] = at;
    const before = previous[at]!;
    if (before !== -1) {
      const leftRank = table.get(ids[before]!, ids[at]!);
      if (leftRank >= 0) heap.push(leftRank, before);
    }
    if (after !== -1) {
      const rightRank = table.get(ids[at]!, ids[after]!);
      if (rightRank >= 0) heap.push(rightRank, at);
    }
  }
  let count = 0;
  for (let at = 0; at !== -1; at = next[at]!) ids[count++] = ids[at]!;
  return count;
}
