import { decontaminate, guessLanguage, minhashDedup } from '@lm-stack/corpus';
import { MinCuratedError } from './errors.js';
import type { SftSample } from './sample.js';

/** Why curation dropped a sample. */
export type DropReason =
  | 'too short'
  | 'too long'
  | 'duplicate'
  | 'near-duplicate'
  | 'language'
  | 'contaminated';

/** Options of {@link curateDataset}. */
export interface CurateOptions {
  /** Characters of instruction + output. Defaults 16 and 8,000. */
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Fewer kept samples than this is a MinCuratedError. Default 0. */
  readonly minCurated?: number;
  /**
   * Held-out or eval prompts (and answers): a sample whose instruction is one of them (case and spacing
   * folded), or that shares a `decontaminationNgram`-word sequence with one, is dropped.
   */
  readonly decontaminate?: readonly string[];
  /** Words per shared sequence that counts as contamination. Default 8 (short prompts; GPT-3 used 13 on documents). */
  readonly decontaminationNgram?: number;
  /**
   * MinHash near-duplicates through `@lm-stack/corpus`, tuned for short pairs: 3-word shingles, 16 bands × 6
   * rows, so a pair at Jaccard 0.77 (one word changed in 25) is caught with probability 1 − (1 − 0.77^6)^16
   * ≈ 0.976, one at 0.5 with ≈ 0.22 and one at 0.3 with ≈ 0.012. Default on; `false` keeps exact-duplicate
   * removal only.
   */
  readonly nearDuplicates?:
    | boolean
    | { readonly shingleWords?: number; readonly bands?: number; readonly rows?: number };
  /** Keep only samples `@lm-stack/corpus`'s stop-word guess assigns this language (`'en'`, `'de'`, …). */
  readonly language?: string;
}

/** The kept samples and how many were dropped for each reason. */
export interface CurationResult<T> {
  readonly kept: T[];
  readonly dropped: ReadonlyMap<DropReason, number>;
}

const fold = (text: string) => text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();

/**
 * Curates generated samples, in this order: length bounds, the language check, exact duplicates
 * (instruction and output, case and spacing folded; the first is kept), eval prompts (exact, then shared
 * n-grams), MinHash near-duplicates. Throws MinCuratedError with the counts when fewer than `minCurated`
 * remain.
 *
 * @example
 * ```ts
 * const { kept, dropped } = await curateDataset(samples, { minCurated: 100, decontaminate: evalPrompts, language: 'en' });
 * ```
 */
export async function curateDataset<T extends SftSample>(
  samples: readonly T[],
  options: CurateOptions = {},
): Promise<CurationResult<T>> {
  const { minLength = 16, maxLength = 8000, minCurated = 0 } = options;
  const heldOut = options.decontaminate ?? [];
  const banned = new Set(heldOut.map(fold));
  const seen = new Set<string>();
  const dropped = new Map<DropReason, number>();
  const drop = (reason: DropReason, count = 1) => {
    if (count > 0) dropped.set(reason, (dropped.get(reason) ?? 0) + count);
  };
  let kept: T[] = [];
  for (const sample of samples) {
    const length = sample.instruction.length + sample.output.length;
    const text = `${sample.instruction}\n${sample.output}`;
    if (length < minLength) drop('too short');
    else if (length > maxLength) drop('too long');
    else if (options.language && guessLanguage(text).language !== options.language) drop('language');
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
  const asDocuments = (list: readonly T[]) =>
    list.map((sample, i) => ({
      id: String(i),
      source: 'sft',
      group: 'sft',
      text: `${sample.instruction}\n${sample.output}`,
    }));
  const survivors = async (stream: AsyncIterable<{ id: string }>) => {
    const ids: number[] = [];
    for await (const document of stream) ids.push(Number(document.id));
    return ids.map((id) => kept[id]!);
  };
  if (heldOut.length > 0) {
    const held = heldOut.map((text, i) => ({ id: `held-${i}`, source: 'eval', group: 'eval', text }));
    const before = kept.length;
    kept = await survivors(
      decontaminate(asDocuments(kept), held, { ngram: options.decontaminationNgram ?? 8 }),
    );
    drop('contaminated', before - kept.length);
  }
  if (options.nearDuplicates !== false) {
    const settings = typeof options.nearDuplicates === 'object' ? options.nearDuplicates : {};
    const before = kept.length;
    kept = await survivors(
      minhashDedup(asDocuments(kept), { shingleWords: 3, bands: 16, rows: 6, ...settings }),
    );
    drop('near-duplicate', before - kept.length);
  }
  if (kept.length < minCurated) throw new MinCuratedError(kept.length, minCurated, dropped);
  return { kept, dropped };
}
