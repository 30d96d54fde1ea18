import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { applyMerges } from './bpe-merge.js';
import { PairTable } from './pair-table.js';

/** Textbook BPE: find the lowest-rank adjacent pair (leftmost on ties), merge it, repeat. */
function naiveMerge(ids: number[], table: PairTable): number[] {
  const parts = [...ids];
  for (;;) {
    let best = -1;
    let at = -1;
    for (let i = 0; i + 1 < parts.length; i++) {
      const rank = table.get(parts[i]!, parts[i + 1]!);
      if (rank >= 0 && (best < 0 || rank < best)) {
        best = rank;
        at = i;
      }
    }
    if (at < 0) return parts;
    parts.splice(at, 2, table.resultOf[best]!);
  }
}

// Random merge tables over a 4-symbol alphabet (ids 0-3), results numbered from 4.
const mergeList = fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 })), {
  minLength: 1,
  maxLength: 12,
  selector: ([left, right]) => `${left},${right}`,
});

test.prop([mergeList, fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 400 })])(
  'short (scan) and long (heap) paths both equal textbook BPE',
  (merges, input) => {
    const table = new PairTable(merges.length);
    for (const [rank, [left, right]] of merges.entries()) table.add(left, right, 4 + rank);
    const ids = Int32Array.from(input);
    const length = applyMerges(ids, ids.length, table);
    expect(Array.from(ids.subarray(0, length))).toEqual(naiveMerge(input, table));
  },
);
