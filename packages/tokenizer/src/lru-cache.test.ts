import { expect, it } from 'vitest';
import { LruCache } from './lru-cache.js';

it('evicts the least recently used entry', () => {
  const cache = new LruCache<string, number>(8);
  for (let i = 0; i < 8; i++) cache.set(`k${i}`, i);
  // Touch k0 after it has aged past capacity/4 = 2 insertions, so it moves to the young end.
  expect(cache.get('k0')).toBe(0);
  cache.set('k8', 8);
  expect(cache.get('k0')).toBe(0);
  expect(cache.get('k1')).toBeUndefined();
  expect(cache.size).toBe(8);
});

it('stores nothing with capacity 0', () => {
  const cache = new LruCache<string, number>(0);
  cache.set('a', 1);
  expect(cache.get('a')).toBeUndefined();
});
