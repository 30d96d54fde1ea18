import { createHash } from 'node:crypto';
import type { CorpusDocument, DocumentStream } from './document.js';
import { CorpusOptionsError } from './errors.js';

/** Split names. */
export type SplitName = 'train' | 'validation' | 'test';

/** Shares of each split, summing to 1. */
export interface SplitRatios {
  readonly train: number;
  readonly validation: number;
  readonly test: number;
}

/**
 * The split of a group: sha256(seed + group) read as a number in [0, 1), compared with the cumulative
 * ratios. Deterministic, and a group never lands in two splits.
 *
 * @example
 * ```ts
 * splitOf('moby-dick', { train: 0.8, validation: 0.1, test: 0.1 }); // 'train' (always, for this seed)
 * ```
 */
export function splitOf(group: string, ratios: SplitRatios, seed = 'lm-stack'): SplitName {
  const total = ratios.train + ratios.validation + ratios.test;
  if (
    ![ratios.train, ratios.validation, ratios.test].every((ratio) => ratio >= 0) ||
    Math.abs(total - 1) > 1e-9
  )
    throw new CorpusOptionsError('ratios', ratios, 'must be non-negative and sum to 1');
  const position = createHash('sha256').update(`${seed}\u0000${group}`).digest().readUInt32BE(0) / 2 ** 32;
  if (position < ratios.train) return 'train';
  return position < ratios.train + ratios.validation ? 'validation' : 'test';
}

/**
 * Splits a stream by `group` into arrays per split.
 *
 * @example
 * ```ts
 * const { train, validation, test } = await splitByGroup(stream, { train: 0.9, validation: 0.05, test: 0.05 });
 * ```
 */
export async function splitByGroup(
  documents: DocumentStream,
  ratios: SplitRatios,
  seed?: string,
): Promise<Record<SplitName, CorpusDocument[]>> {
  const out: Record<SplitName, CorpusDocument[]> = { train: [], validation: [], test: [] };
  for await (const document of documents) out[splitOf(document.group, ratios, seed)].push(document);
  return out;
}
