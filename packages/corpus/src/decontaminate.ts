import { createHash } from 'node:crypto';
import type { CorpusDocument, DocumentStream } from './document.js';
import { CorpusOptionsError } from './errors.js';

/** Lowercased words without surrounding punctuation, as both sides of the overlap test see them. */
function normalizedWords(text: string): string[] {
  return text
    .normalize('NFC')
    .toLowerCase()
    .split(/\s+/u)
    .map((word) => word.replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, ''))
    .filter((word) => word.length > 0);
}

/** 64-bit keys (sha256 prefix, as hex) of every n-word window. */
function ngramKeys(text: string, n: number): string[] {
  const all = normalizedWords(text);
  const keys: string[] = [];
  for (let i = 0; i + n <= all.length; i++)
    keys.push(
      createHash('sha256')
        .update(all.slice(i, i + n).join(' '))
        .digest('hex')
        .slice(0, 16),
    );
  return keys;
}

/** A training document removed because it shares text with held-out data. */
export interface Contamination {
  readonly id: string;
  /** How many of its n-grams occur in the held-out documents. */
  readonly sharedNgrams: number;
}

/**
 * Removes training documents that share any `n`-word sequence (default 13, GPT-3's contamination test,
 * Brown et al. 2020 appendix C) with the held-out documents (validation and test), so evaluation text cannot
 * leak into training through quotations or copies. Held-out n-grams are kept in memory (8-byte keys).
 *
 * @example
 * ```ts
 * const clean = await collect(decontaminate(splits.train, [...splits.validation, ...splits.test], {}, log));
 * ```
 */
export async function* decontaminate(
  train: DocumentStream,
  heldOut: Iterable<CorpusDocument>,
  options: { readonly ngram?: number } = {},
  onRemove: (removed: Contamination) => void = () => undefined,
): AsyncGenerator<CorpusDocument> {
  const n = options.ngram ?? 13;
  if (!Number.isInteger(n) || n < 1) throw new CorpusOptionsError('ngram', n, 'must be a positive integer');
  const held = new Set<string>();
  for (const document of heldOut) for (const key of ngramKeys(document.text, n)) held.add(key);
  for await (const document of train) {
    const shared = ngramKeys(document.text, n).filter((key) => held.has(key)).length;
    if (shared > 0) onRemove({ id: document.id, sharedNgrams: shared });
    else yield document;
  }
}
