import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { curateDataset } from './curate-dataset.js';
import { curationSummary } from './curation-summary.js';
import { MinCuratedError, SftError } from './errors.js';
import { renderTemplate } from './prompts.js';
import { splitDataset } from './split-dataset.js';

const sample = (i: number) => ({ instruction: `Question number ${i}?`, output: `Answer number ${i}.` });

describe('splitDataset', () => {
  test.prop([fc.uniqueArray(fc.integer({ min: 0, max: 1e6 }), { minLength: 1, maxLength: 300 })])(
    'a sample stays in its split whatever else is in the dataset',
    (ids) => {
      const all = splitDataset(ids.map(sample));
      const half = splitDataset(ids.slice(0, Math.ceil(ids.length / 2)).map(sample));
      for (const split of ['train', 'val', 'test'] as const)
        for (const entry of half[split]) expect(all[split]).toContainEqual(entry);
      expect(all.train.length + all.val.length + all.test.length).toBe(ids.length);
    },
  );

  it('takes about the shares asked (2,000 samples: 0.8 / 0.1 / 0.1 within 3 points) and refuses shares that do not add up', () => {
    const {
      train,
      val,
      test: held,
    } = splitDataset(
      Array.from({ length: 2000 }, (_, i) => sample(i)),
      { train: 0.8, val: 0.1, test: 0.1 },
    );
    expect(Math.abs(train.length / 2000 - 0.8)).toBeLessThan(0.03);
    expect(Math.abs(val.length / 2000 - 0.1)).toBeLessThan(0.03);
    expect(Math.abs(held.length / 2000 - 0.1)).toBeLessThan(0.03);
    expect(() => splitDataset([], { train: 0.9, val: 0.2, test: 0 })).toThrow(SftError);
  });
});

describe('curateDataset', () => {
  it('drops short, long, duplicate (case and spacing folded) and contaminated samples, with counts', async () => {
    const samples = [
      sample(1),
      { instruction: 'QUESTION  number 1?', output: 'answer number 1.' }, // duplicate of the first
      { instruction: 'Hi', output: 'Yo' }, // 4 characters
      { instruction: 'x'.repeat(9000), output: 'y' },
      { instruction: 'What is the capital of France?', output: 'Paris is its capital.' }, // an eval prompt
      sample(2),
    ];
    const { kept, dropped } = await curateDataset(samples, {
      decontaminate: ['what is the capital of   france?'],
    });
    expect(kept).toEqual([sample(1), sample(2)]);
    expect(Object.fromEntries(dropped)).toEqual({
      duplicate: 1,
      'too short': 1,
      'too long': 1,
      contaminated: 1,
    });
    // Without the eval prompts, 3 are kept.
    await expect(curateDataset(samples, { minCurated: 4 })).rejects.toThrow(MinCuratedError);
    await expect(curateDataset(samples, { minCurated: 4 })).rejects.toThrow(
      /^3 samples kept, fewer than the minimum 4 \(duplicate 1, too short 1, too long 1\)$/,
    );
  });
});

describe('curateDataset with @lm-stack/corpus: near-duplicates, language, n-gram decontamination', () => {
  const base =
    'The Pequod sailed from Nantucket on a cold Christmas morning with Ahab hidden below deck and a crew of thirty men';
  it('drops a reworded copy (MinHash), a German sample, and one quoting an eval prompt', async () => {
    const samples = [
      { instruction: 'When did the Pequod sail?', output: base },
      // One word changed of 25 (instruction + output): 3 of 23 shingles differ, Jaccard 20/26 = 0.77, caught
      // with probability ≈ 0.976 at 16 bands × 6 rows (the seeded hashes catch it).
      { instruction: 'When did the Pequod sail?', output: base.replace('cold', 'bitter') },
      {
        instruction: 'Wann segelte die Pequod?',
        output: 'Die Pequod segelte an einem kalten Morgen aus Nantucket und der Kapitän war nicht an Deck.',
      },
      {
        instruction: 'Who is Queequeg, the harpooner from the island of Kokovoko?',
        output: 'A harpooner and Ishmael’s friend.',
      },
      { instruction: 'What does Ishmael do when he feels grim about the mouth?', output: 'He goes to sea.' },
    ];
    const evalPrompts = ['Tell me: who is Queequeg, the harpooner from the island of Kokovoko, really?'];
    const { kept, dropped } = await curateDataset(samples, { language: 'en', decontaminate: evalPrompts });
    expect(kept.map((sample) => sample.instruction)).toEqual([
      'When did the Pequod sail?',
      'What does Ishmael do when he feels grim about the mouth?',
    ]);
    // The eval prompt shares the 8 words "who is queequeg the harpooner from the island" with sample 4.
    expect(Object.fromEntries(dropped)).toEqual({ language: 1, contaminated: 1, 'near-duplicate': 1 });
    const loose = await curateDataset(samples, { nearDuplicates: false });
    expect(loose.kept).toHaveLength(5);
  });
});

describe('curationSummary', () => {
  it('totals kept samples per provider/model, cost only where reported, and ignores junk fields', () => {
    const kept = [
      {
        instruction: 'ab',
        output: 'cde',
        model: 'm1',
        provider: 'openai',
        usage: { promptTokens: 10, completionTokens: 4, cost: 0.5 },
      },
      {
        instruction: 'a',
        output: 'b',
        model: 'm1',
        provider: 'openai',
        usage: { promptTokens: 2, completionTokens: 1, cost: 0.25 },
      },
      {
        instruction: 'x',
        output: 'y',
        model: 'llama',
        provider: 'ollama',
        usage: { promptTokens: 7, completionTokens: 3 },
      },
      { instruction: 'x', output: 'z', usage: 'garbage' },
      {
        instruction: 'q',
        output: 'r',
        model: 'm2',
        usage: { promptTokens: -5, completionTokens: Number.NaN, cost: -1 },
      },
    ];
    const summary = curationSummary(9, kept, new Map([['duplicate', 4]]));
    expect(summary).toEqual({
      read: 9,
      kept: 5,
      dropped: { duplicate: 4 },
      byModel: {
        'openai/m1': { kept: 2, promptTokens: 12, completionTokens: 5, cost: 0.75 },
        'ollama/llama': { kept: 1, promptTokens: 7, completionTokens: 3 },
        unknown: { kept: 1, promptTokens: 0, completionTokens: 0 },
        m2: { kept: 1, promptTokens: 0, completionTokens: 0, cost: 0 },
      },
      keptCharacters: 5 + 2 + 2 + 2 + 2, // 'ab'+'cde', then 1 + 1 characters each
    });
  });
});

describe('renderTemplate', () => {
  it('fills variables, keeps escaped braces, and names a missing one', () => {
    expect(renderTemplate('{topic}: {{"a": {n}}}', { topic: 'whales', n: 2 })).toBe('whales: {"a": 2}');
    expect(() => renderTemplate('about {topic} and {context}', { topic: 'x' })).toThrow(
      'template variable {context} has no value (given: topic)',
    );
  });
});
