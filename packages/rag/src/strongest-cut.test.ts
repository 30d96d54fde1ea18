import { fc, test } from '@fast-check/vitest';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { cutStrength, PARAGRAPH, SECTION } from './boundaries.js';
import { newlineOffsets, strongestCut } from './strongest-cut.js';

let cl100k: BpeTokenizer;
beforeAll(async () => {
  cl100k = await BpeTokenizer.fromTiktoken('cl100k_base');
});

/** The reference: every boundary from `high` down to `low`, the strongest kept (the later one on ties). */
function bruteForce(text: string, starts: Int32Array, low: number, high: number, markdown: boolean): number {
  let best = -2;
  let end = high;
  for (let k = high; k >= low; k--) {
    const here = cutStrength(text, starts[k]!, markdown);
    if (here > best) [best, end] = [here, k];
  }
  return end;
}

describe('strongestCut', () => {
  it('picks the latest paragraph break, else the sentence end', () => {
    // Pieces "One" "." " Two" "\n\n" "Three" " four": boundaries at 0, 3, 4, 8, 10, 15, 20.
    const text = 'One. Two\n\nThree four';
    const starts = Int32Array.of(0, 3, 4, 8, 10, 15, 20);
    // Offsets 8 and 10 both touch the blank line (PARAGRAPH): the later, 10, wins.
    expect(strongestCut(text, starts, newlineOffsets(text), 1, 5, false, PARAGRAPH)).toBe(4);
    // Without boundary 4, offset 8 (before "\n\n") is still a paragraph break.
    expect(strongestCut(text, starts, newlineOffsets(text), 1, 3, false, PARAGRAPH)).toBe(3);
    // Before the blank line: offset 4, after "One.", is a sentence end; offset 3 is inside "One.".
    expect(strongestCut(text, starts, newlineOffsets(text), 1, 2, false, PARAGRAPH)).toBe(2);
    expect(newlineOffsets('a\nb\n')).toEqual(Int32Array.of(1, 3));
  });

  const part = fc.constantFrom(
    'word',
    ' the',
    '.',
    '!"',
    ' ',
    '  ',
    '\n',
    '\n\n',
    ' \n \n ',
    '\r\n',
    '\t',
    '\u0085',
    '\u00a0',
    '# Head\n',
    '## Sub',
    '42',
    '😀',
  );
  test.prop(
    [
      fc.array(part, { minLength: 1, maxLength: 120 }).map((parts) => parts.join('')),
      fc.boolean(),
      fc.nat(),
      fc.nat(),
    ],
    { numRuns: 600 },
  )(
    'equals trying every boundary, on cl100k pieces of text with every kind of break',
    (text, markdown, a, b) => {
      const { starts } = cl100k.preTokenPrefix(text);
      const n = starts.length - 1;
      const low = a % (n + 1);
      const high = low + (b % (n + 1 - low));
      const strongest = markdown ? SECTION : PARAGRAPH;
      expect(strongestCut(text, starts, newlineOffsets(text), low, high, markdown, strongest)).toBe(
        bruteForce(text, starts, low, high, markdown),
      );
    },
  );
});
