import { describe, expect, it } from 'vitest';
import { completionLogprobs, logprobAt } from './token-logprobs.js';

const bytes = (id: number) => new TextEncoder().encode('abcd'[id]!);

describe('logprobAt', () => {
  it('log-softmax by hand: logits [2, 1, 0, -1]', () => {
    // log-sum-exp = 2 + ln(1 + e^-1 + e^-2 + e^-3) = 2 + ln(1.5032147) = 2.4401897
    const result = logprobAt(new Float32Array([2, 1, 0, -1]), 1, 2, bytes);
    expect(result.logprob).toBeCloseTo(1 - 2.4401897, 6);
    expect(result.token).toBe('b');
    expect(result.bytes).toEqual([98]);
    expect(result.top.map((choice) => choice.token)).toEqual(['a', 'b']);
    expect(result.top[0]!.logprob).toBeCloseTo(2 - 2.4401897, 6);
  });

  it('keeps the top k in order whatever the order of the vocabulary, and -∞ logits count as 0', () => {
    const result = logprobAt(new Float32Array([-1, 3, Number.NEGATIVE_INFINITY, 5]), 2, 3, bytes);
    expect(result.top.map((choice) => choice.token)).toEqual(['d', 'b', 'a']);
    expect(result.logprob).toBe(Number.NEGATIVE_INFINITY);
    expect(logprobAt(new Float32Array([0, 0]), 0, 0, bytes).top).toEqual([]);
  });

  it('legacy completion shape: parallel arrays and character offsets', () => {
    const tokens = [
      logprobAt(new Float32Array([1, 0]), 0, 1, bytes),
      logprobAt(new Float32Array([0, 1]), 1, 1, bytes),
    ];
    expect(completionLogprobs(tokens)).toMatchObject({ tokens: ['a', 'b'], text_offset: [0, 1] });
  });
});
