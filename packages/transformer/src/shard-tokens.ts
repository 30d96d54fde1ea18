import { openTokenShards } from '@lm-stack/corpus';
import type { TokenSource } from './token-data.js';

/**
 * A token source over the shards `@lm-stack/corpus` packed (its `<split>.manifest.json`), read by range:
 * each training window is a few hundred bytes read from disk, so shards need not fit in memory.
 *
 * @example
 * ```ts
 * const train = shardTokens('corpus-out/shards/train.manifest.json');
 * const trainer = new Trainer({ model, train, batchSize: 16, steps: 1000 });
 * ```
 */
export function shardTokens(manifestPath: string): TokenSource & { close(): void } {
  const shards = openTokenShards(manifestPath);
  return {
    length: shards.length,
    read: (offset, count) => shards.read(offset, count),
    close: () => shards.close(),
  };
}
