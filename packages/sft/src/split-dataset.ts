import { createHash } from 'node:crypto';
import { SftError } from './errors.js';
import type { SftSample } from './sample.js';

/** Shares of each split; they must add up to 1. */
export interface SplitShares {
  readonly train: number;
  readonly val: number;
  readonly test: number;
}

/**
 * Train/validation/test by a hash of each sample's instruction and output: a sample lands in the same split
 * on every run and whatever else is in the dataset. Default 0.9 / 0.1 / 0.
 *
 * @example
 * ```ts
 * const { train, val } = splitDataset(samples); // about 90% / 10%, the same every time
 * ```
 */
export function splitDataset<T extends SftSample>(
  samples: readonly T[],
  shares: SplitShares = { train: 0.9, val: 0.1, test: 0 },
): { train: T[]; val: T[]; test: T[] } {
  const total = shares.train + shares.val + shares.test;
  if (Math.abs(total - 1) > 1e-9 || [shares.train, shares.val, shares.test].some((share) => share < 0))
    throw new SftError(
      `split shares ${shares.train} / ${shares.val} / ${shares.test} must be ≥ 0 and add up to 1`,
    );
  const out = { train: [] as T[], val: [] as T[], test: [] as T[] };
  for (const sample of samples) {
    // The first 48 bits of sha256 as a number in [0, 1).
    const digest = createHash('sha256').update(`${sample.instruction}\u0000${sample.output}`).digest();
    const position = digest.readUIntBE(0, 6) / 2 ** 48;
    const split = position < shares.train ? 'train' : position < shares.train + shares.val ? 'val' : 'test';
    out[split].push(sample);
  }
  return out;
}
