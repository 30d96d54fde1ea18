import { KeyTable } from './key-table.js';
import type { WordScan } from './word-scan.js';

/** What {@link NgramRepetition.next} measures for one n. */
export interface NgramShares {
  readonly n: number;
  /** Characters of the most frequent repeated n-gram times its count (0 when none repeats). */
  readonly topCharacters: number;
  /** Characters of the words covered by n-grams that occurred earlier in the text. */
  readonly duplicatedCharacters: number;
}

const table = new KeyTable();

/**
 * Word n-gram repetition for n = 2, 3, …, one n a call, without building a string per n-gram:
 *
 * - n-grams are 64-bit hashes (two int32 lanes, murmur3 constants) rolled from the (n-1)-grams, so a
 *   collision inside one document (≤ 10^5 words) has probability below 10^-9, and a collision can only
 *   make a repetition look larger, never hide one;
 * - an n-gram can repeat only if both (n-1)-grams inside it repeat, so each n only counts the positions
 *   that can still repeat: after the 2-grams, most of a normal text is skipped.
 */
export class NgramRepetition {
  private n = 1;
  private readonly high: Int32Array;
  private readonly low: Int32Array;
  /** 1 where the n-gram starting there may repeat. */
  private readonly candidate: Uint8Array;
  /** First position of the n-gram at each position. */
  private readonly firstOf: Int32Array;
  /** Occurrences, stored at each n-gram's first position. */
  private readonly counts: Int32Array;
  /** prefix[i] = characters of words 0 … i-1. */
  private readonly prefix: Float64Array;

  constructor(private readonly words: WordScan) {
    this.high = words.high.slice();
    this.low = words.low.slice();
    this.candidate = new Uint8Array(words.count).fill(1);
    this.firstOf = new Int32Array(words.count);
    this.counts = new Int32Array(words.count);
    this.prefix = new Float64Array(words.count + 1);
    for (let i = 0; i < words.count; i++) this.prefix[i + 1] = this.prefix[i]! + words.lengths[i]!;
  }

  /** Characters of all words. */
  get characters(): number {
    return this.prefix[this.words.count]!;
  }

  /** Moves to the next n and measures it. */
  next(): NgramShares {
    const n = ++this.n;
    const { high, low, candidate, firstOf, counts, prefix } = this;
    const positions = Math.max(0, this.words.count - n + 1);
    for (let i = 0; i < positions; i++) {
      high[i] = Math.imul(high[i]! ^ Math.imul(this.words.high[i + n - 1]!, 0xcc9e2d51), 0x1b873593);
      low[i] = Math.imul(low[i]! ^ Math.imul(this.words.low[i + n - 1]!, 0x85ebca6b), 0xc2b2ae35);
      // Both (n-1)-grams inside must repeat (for n = 2, every position is a candidate).
      if (n > 2) candidate[i] = candidate[i]! & candidate[i + 1]!;
    }
    let candidates = 0;
    for (let i = 0; i < positions; i++) candidates += candidate[i]!;
    table.reset(candidates);
    for (let i = 0; i < positions; i++) {
      if (!candidate[i]) continue;
      const first = table.insert(high[i]!, low[i]!, i);
      if (first < 0) {
        firstOf[i] = i;
        counts[i] = 1;
      } else {
        firstOf[i] = first;
        counts[first]!++;
      }
    }
    let topCharacters = 0;
    let duplicatedCharacters = 0;
    let coveredUntil = 0; // words before this index are already counted as covered
    for (let i = 0; i < positions; i++) {
      if (!candidate[i]) continue;
      const first = firstOf[i]!;
      if (first === i) {
        if (counts[i]! > 1)
          topCharacters = Math.max(topCharacters, (prefix[i + n]! - prefix[i]!) * counts[i]!);
      } else {
        const from = Math.max(i, coveredUntil);
        duplicatedCharacters += prefix[i + n]! - prefix[from]!;
        coveredUntil = i + n;
      }
    }
    // The positions whose n-gram repeats; the next n checks pairs of them.
    for (let i = 0; i < positions; i++) if (candidate[i] && counts[firstOf[i]!]! < 2) candidate[i] = 0;
    if (positions < this.words.count) candidate.fill(0, positions);
    return { n, topCharacters, duplicatedCharacters };
  }
}
