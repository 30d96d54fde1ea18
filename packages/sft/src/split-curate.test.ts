import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { curateDataset } from './curate-dataset.js';
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
  it('drops short, long, duplicate (case and spacing folded) and contaminated samples, with counts', () => {
    const samples = [
      sample(1),
      { instruction: 'QUESTION  number 1?', output: 'answer number 1.' }, // duplicate of the first
      { instruction: 'Hi', output: 'Yo' }, // 4 characters
      { instruction: 'x'.repeat(9000), output: 'y' },
      { instruction: 'What is the capital of France?', output: 'Paris is its capital.' }, // an eval prompt
      sample(2),
    ];
    const { kept, dropped } = curateDataset(samples, { decontaminate: ['what is the capital of   france?'] });
    expect(kept).toEqual([sample(1), sample(2)]);
    expect(Object.fromEntries(dropped)).toEqual({
      duplicate: 1,
      'too short': 1,
      'too long': 1,
      contaminated: 1,
    });
    // Without the eval prompts, 3 are kept.
    expect(() => curateDataset(samples, { minCurated: 4 })).toThrow(MinCuratedError);
    expect(() => curateDataset(samples, { minCurated: 4 })).toThrow(
      /^3 samples kept, fewer than the minimum 4 \(duplicate 1, too short 1, too long 1\)$/,
    );
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
