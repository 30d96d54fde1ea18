import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { BpeTokenizer } from './tokenizer.js';

const tokenizers = new Map<string, BpeTokenizer>();
beforeAll(async () => {
  tokenizers.set('cl100k_base', await BpeTokenizer.fromTiktoken('cl100k_base'));
  tokenizers.set('o200k_base', await BpeTokenizer.fromTiktoken('o200k_base'));
  tokenizers.set(
    'trained',
    await BpeTokenizer.train(['Call me Ishmael. Some years ago — never mind how long.'.repeat(20)], {
      vocabSize: 300,
    }),
  );
});

describe('preTokenCounts', () => {
  it('gives the pieces and their counts (cl100k: "hello", " world", "!")', () => {
    const counts = tokenizers.get('cl100k_base')!.preTokenCounts('hello world!');
    expect([...counts.ends]).toEqual([5, 11, 12]);
    expect([...counts.tokens]).toEqual([1, 1, 1]);
    expect(tokenizers.get('cl100k_base')!.preTokenCounts('')).toEqual({
      ends: new Int32Array(0),
      tokens: new Int32Array(0),
    });
  });

  test.prop(
    [
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.constantFrom('cl100k_base', 'o200k_base', 'trained'),
    ],
    { numRuns: 300 },
  )(
    'pieces cover the text and their counts add up to encodeOrdinary, on each piece and on the whole',
    (text, name) => {
      const tokenizer = tokenizers.get(name)!;
      const { ends, tokens } = tokenizer.preTokenCounts(text);
      expect(ends.length ? ends[ends.length - 1] : 0).toBe(text.length);
      let start = 0;
      let sum = 0;
      for (let i = 0; i < ends.length; i++) {
        expect(tokenizer.encodeOrdinary(text.slice(start, ends[i])).length).toBe(tokens[i]);
        sum += tokens[i]!;
        start = ends[i]!;
      }
      expect(sum).toBe(tokenizer.encodeOrdinary(text).length);
    },
  );
});
