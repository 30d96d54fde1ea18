/**
 * A bounded least-recently-used cache on a `Map` (whose iteration order is insertion order). A hit moves the
 * entry to the young end only once it has aged past a quarter of the capacity, which keeps hits on hot keys
 * to a single `Map.get` while still evicting the entries that were not used for longest.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; stamp: number }>();
  private clock = 0;

  constructor(readonly capacity: number) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.clock - entry.stamp > this.capacity >> 2) {
      this.entries.delete(key);
      entry.stamp = ++this.clock;
      this.entries.set(key, entry);
    }
    return entry.value;
  }

  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, stamp: ++this.clock });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
