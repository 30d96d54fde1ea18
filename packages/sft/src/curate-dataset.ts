import { MinCuratedError } from './errors.js';
import type { SftSample } from './sample.js';

/** Options of {@link curateDataset}. */
export interface CurateOptions {
  /** Characters of instruction + output. Defaults 16 and 8,000. */
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Fewer kept samples than this is a MinCuratedError. Default 0. */
  readonly minCurated?: number;
  /** Held-out or eval prompts: a sample whose instruction is one of them (case and spacing folded) is dropped. */
  readonly decontaminate?: readonly string[];
}

/** The kept samples and how many were dropped for each reason. */
export interface CurationResult<T> {
  readonly kept: T[];
  readonly dropped: ReadonlyMap<'too short' | 'too long' | 'duplicate' | 'contaminated', number>;
}

const fold = (text: string) => text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();

/**
 * Drops samples that are too short or too long, exact duplicates (instruction and output, case and spacing
 * folded; the first is kept) and ones whose instruction is an eval prompt; throws MinCuratedError with the
 * counts when fewer than `minCurated` remain.
 *
 * @example
 * ```ts
 * const { kept, dropped } = curateDataset(samples, { minCurated: 100, decontaminate: evalPrompts });
 * ```
 */
export function curateDataset<T extends SftSample>(
  samples: readonly T[],
  options: CurateOptions = {},
): CurationResult<T> {
  const { minLength = 16, maxLength = 8000, minCurated = 0 } = options;
  const banned = new Set((options.decontaminate ?? []).map(fold));
  const seen = new Set<string>();
  const dropped = new Map<'too short' | 'too long' | 'duplicate' | 'contaminated', number>();
  const drop = (reason: 'too short' | 'too long' | 'duplicate' | 'contaminated') =>
    dropped.set(reason, (dropped.get(reason) ?? 0) + 1);
  const kept: T[] = [];
  for (const sample of samples) {
    const length = sample.instruction.length + sample.output.length;
    if (length < minLength) drop('too short');
    else if (length > maxLength) drop('too long');
    else if (banned.has(fold(sample.instruction))) drop('contaminated');
    else {
      const key = `${fold(sample.instruction)}\u0000${fold(sample.output)}`;
      if (seen.has(key)) drop('duplicate');
      else {
        seen.add(key);
        kept.push(sample);
      }
    }
  }
  if (kept.length < minCurated) throw new MinCuratedError(kept.length, minCurated, dropped);
  return { kept, dropped };
}
