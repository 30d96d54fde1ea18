import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { firstAtLeast, lastAtMost } from './sorted-search.js';

describe('sorted search', () => {
  it('finds the last at most and the first at least a value', () => {
    const sorted = Int32Array.of(0, 3, 3, 8);
    expect(lastAtMost(sorted, 0, 3, 5)).toBe(2);
    expect(lastAtMost(sorted, 0, 3, 8)).toBe(3);
    expect(lastAtMost(sorted, 1, 3, 2)).toBe(0); // none in [1, 3]: low - 1
    expect(firstAtLeast(sorted, 0, 3, 3)).toBe(1);
    expect(firstAtLeast(sorted, 0, 3, 9)).toBe(3); // none: high
  });

  test.prop(
    [
      fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 40 }),
      fc.nat(),
      fc.nat(),
      fc.integer({ min: -60, max: 60 }),
    ],
    {
      numRuns: 500,
    },
  )('equals a linear scan', (values, a, b, value) => {
    const sorted = Int32Array.from(values.sort((x, y) => x - y));
    const low = a % sorted.length;
    const high = low + (b % (sorted.length - low));
    let last = low - 1;
    for (let k = low; k <= high; k++) if (sorted[k]! <= value) last = k;
    let first = high;
    for (let k = high; k >= low; k--) if (sorted[k]! >= value) first = k;
    expect(lastAtMost(sorted, low, high, value)).toBe(last);
    expect(firstAtLeast(sorted, low, high, value)).toBe(first);
  });
});
