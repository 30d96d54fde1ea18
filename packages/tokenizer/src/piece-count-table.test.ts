import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { hashUnits, PieceCountTable } from './piece-count-table.js';

const units = (text: string) => Uint16Array.from(text, (_, i) => text.charCodeAt(i));

describe('PieceCountTable', () => {
  it('hashes with 32-bit FNV-1a: "a" → 0xe40c292c (the published test vector)', () => {
    expect(hashUnits(units('a'), 0, 1) >>> 0).toBe(0xe40c292c);
    expect(hashUnits(units('xay'), 1, 2)).toBe(hashUnits(units('a'), 0, 1));
  });

  it('finds a piece by its units in another text, and forgets everything when full', () => {
    const table = new PieceCountTable(2);
    const hello = units('hello world');
    table.set(hello, 5, 11, hashUnits(hello, 5, 11), 1);
    const other = units('a world!');
    expect(table.get(other, 1, 7, hashUnits(other, 1, 7))).toBe(1);
    const near = units(' worle');
    expect(table.get(near, 0, 6, hashUnits(near, 0, 6))).toBe(-1);
    const [ab, cd] = [units('ab'), units('cd')];
    table.set(ab, 0, 2, hashUnits(ab, 0, 2), 2);
    table.set(cd, 0, 2, hashUnits(cd, 0, 2), 3); // the third piece empties the table first
    expect(table.pieces).toBe(1);
    expect(table.get(ab, 0, 2, hashUnits(ab, 0, 2))).toBe(-1);
    expect(table.get(cd, 0, 2, hashUnits(cd, 0, 2))).toBe(3);
  });

  test.prop(
    [fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 12 }), fc.nat(1000)), { maxLength: 300 })],
    { numRuns: 200 },
  )(
    'agrees with a Map (first count per piece wins), with colliding hashes and a small capacity',
    (entries) => {
      const table = new PieceCountTable(64);
      const reference = new Map<string, number>();
      for (const [piece, count] of entries) {
        const padded = units(`<${piece}>`);
        if (reference.size === 64) reference.clear();
        // A constant hash for short pieces forces every one of them through the key comparison.
        const hash = piece.length < 3 ? 7 : hashUnits(padded, 1, piece.length + 1);
        const found = table.get(padded, 1, piece.length + 1, hash);
        expect(found).toBe(reference.get(piece) ?? -1);
        if (found < 0) {
          table.set(padded, 1, piece.length + 1, hash, count);
          reference.set(piece, count);
        }
      }
    },
  );
});
