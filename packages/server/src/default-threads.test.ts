import { describe, expect, it } from 'vitest';
import { defaultThreads } from './default-threads.js';

describe('defaultThreads', () => {
  it('leaves one core to the event loop, and never goes below one thread', () => {
    expect([1, 2, 3, 8, 64].map((cores) => defaultThreads(cores))).toEqual([1, 1, 2, 7, 63]);
    expect(defaultThreads()).toBeGreaterThanOrEqual(1);
  });
});
