import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { BpeTokenizer, TrainingOptionsError } from './index.js';
import { toJsRegExp } from './patterns.js';

/**
 * Brute-force BPE training: recount every pair of every word after each merge. Same tie-break as the real
 * trainer (most frequent, then smallest (left, right)) and same leftmost non-overlapping replacement.
 */
function naiveMerges(texts: string[], vocabSize: number, minFrequency = 2): Array<[number, number]> {
  const splitter = toJsRegExp(
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
  );
  const counts = new Map<string, number>();
  for (const text of texts)
    for (const chunk of text.match(splitter) ?? []) counts.set(chunk, (counts.get(chunk) ?? 0) + 1);
  const words = [...counts].map(([chunk, count]) => ({
    symbols: [...new TextEncoder().encode(chunk)],
    count,
  }));
  const merges: Array<[number, number]> = [];
  while (256 + merges.length < vocabSize) {
    const pairCounts = new Map<string, number>();
    for (const { symbols, count } of words)
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]},${symbols[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      }
    let best: [number, number] | undefined;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      const [left, right] = key.split(',').map(Number) as [number, number];
      if (
        count > bestCount ||
        (count === bestCount && best && (left < best[0] || (left === best[0] && right < best[1])))
      ) {
        best = [left, right];
        bestCount = count;
      }
    }
    if (!best || bestCount < minFrequency) break;
    const created = 256 + merges.length;
    merges.push(best);
    for (const word of words) {
      const out: number[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (word.symbols[i] === best[0] && word.symbols[i + 1] === best[1]) {
          out.push(created);
          i++;
        } else out.push(word.symbols[i]!);
      }
      word.symbols = out;
    }
  }
  return merges;
}

const text = fc.string({
  unit: fc.constantFrom('a', 'b', 'c', ' ', 'é', '\n', 'ab', 'aaa', '1', "'s", '!'),
  maxLength: 60,
});

describe('BpeTokenizer.train', () => {
  test.prop([fc.array(text, { minLength: 1, maxLength: 20 }), fc.integer({ min: 256, max: 320 })])(
    'learns exactly the merges of a brute-force trainer',
    async (texts, vocabSize) => {
      const trained = await BpeTokenizer.train(texts, { vocabSize, pattern: 'gpt2' });
      expect(trained.definition.merges).toEqual(naiveMerges(texts, vocabSize));
    },
  );

  test.prop([fc.array(text, { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 1000 })])(
    'is deterministic and independent of document order',
    async (texts, seed) => {
      const shuffled = [...texts].sort(
        (a, b) => ((a.length * 7919 + seed) % 13) - ((b.length * 7919 + seed) % 13),
      );
      const first = await BpeTokenizer.train(texts, { vocabSize: 300 });
      const second = await BpeTokenizer.train(shuffled, { vocabSize: 300 });
      expect(second.definition.merges).toEqual(first.definition.merges);
    },
  );

  test.prop([
    fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { minLength: 1, maxLength: 10 }),
    fc.string({ unit: 'grapheme' }),
  ])('round-trips any text through a trained tokenizer', async (texts, probe) => {
    const trained = await BpeTokenizer.train(texts, { vocabSize: 400, pattern: 'o200k' });
    for (const sample of [...texts, probe]) expect(trained.decode(trained.encode(sample))).toBe(sample);
  });

  it('reproduces the merges of a worked example', async () => {
    // "aaab aaab ab": chunks "aaab"×1, " aaab"×1, " ab"×1. Pair counts: (a,a)=4, (a,b)=3, (' ',a)=2.
    // Merge 256 = (a,a) [97,97]; then "aaab" → [256, a, b] so (a,b)=3 stays the maximum → 257 = (a,b).
    const trained = await BpeTokenizer.train(['aaab aaab ab'], { vocabSize: 258, pattern: 'gpt2' });
    expect(trained.definition.merges).toEqual([
      [97, 97],
      [97, 98],
    ]);
    expect(trained.encode('aaab')).toEqual([256, 257]);
  });

  it('accepts async iterables, places special tokens last and stops at minFrequency', async () => {
    async function* lines() {
      yield 'one two three';
      yield 'two three';
    }
    const trained = await BpeTokenizer.train(lines(), {
      vocabSize: 10_000,
      specialTokens: ['<|eot|>'],
      minFrequency: 2,
    });
    const merges = trained.definition.merges.length;
    expect(merges).toBeGreaterThan(0);
    expect(merges).toBeLessThan(20); // only pairs seen twice: " two", " three" and their parts
    expect(trained.specialTokens.get('<|eot|>')).toBe(256 + merges);
    expect(trained.vocabSize).toBe(257 + merges);
  });

  it('reports progress', async () => {
    const events: string[] = [];
    await BpeTokenizer.train(
      Array.from({ length: 2000 }, (_, i) => `document ${i} says ${i * 7}`),
      { vocabSize: 1300, minFrequency: 1, onProgress: ({ phase, done }) => events.push(`${phase}:${done}`) },
    );
    expect(events).toContain('count:1000');
    expect(events).toContain('merge:1000');
  });

  it('rejects impossible options with typed errors', async () => {
    await expect(BpeTokenizer.train(['x'], { vocabSize: 100 })).rejects.toThrow(TrainingOptionsError);
    await expect(BpeTokenizer.train(['x'], { vocabSize: 256, specialTokens: ['<s>'] })).rejects.toThrow(
      /minimum 257/,
    );
    await expect(BpeTokenizer.train(['x'], { vocabSize: 300, minFrequency: 0 })).rejects.toThrow(
      /minFrequency/,
    );
    await expect(
      BpeTokenizer.train(['x'], { vocabSize: 300, specialTokens: ['<s>', '<s>'] }),
    ).rejects.toThrow(/duplicate/);
  });
});
