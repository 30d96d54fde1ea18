import { classAt, PUNCTUATION_OR_SYMBOL, SPACE } from './character-classes.js';
import type { CorpusDocument, DocumentStream } from './document.js';
import { CorpusOptionsError } from './errors.js';
import { seededHashParameters } from './hash-parameters.js';

/** MinHash/LSH settings; defaults are datatrove's MinhashConfig (5-gram shingles, 14 bands × 8 rows). */
export interface MinhashOptions {
  readonly shingleWords?: number;
  readonly bands?: number;
  readonly rows?: number;
  readonly seed?: number;
}

/** A near-duplicate found by {@link minhashDedup}: the dropped document and the kept one it matched. */
export interface NearDuplicate {
  readonly dropped: string;
  readonly keptId: string;
  /** Share of equal signature values: an estimate of the Jaccard similarity of their shingle sets. */
  readonly similarity: number;
}

/** FNV-1a over the UTF-16 code units, as the base 32-bit hash of a shingle. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Lowercased words without surrounding punctuation, joined into overlapping n-word shingles. */
export function shingles(text: string, size: number): Set<string> {
  const all = text
    .normalize('NFC')
    .toLowerCase()
    .split(/\s+/u)
    .map((word) => word.replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, ''))
    .filter((word) => word.length > 0);
  const out = new Set<string>();
  if (all.length < size) out.add(all.join(' '));
  for (let i = 0; i + size <= all.length; i++) out.add(all.slice(i, i + size).join(' '));
  return out;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Length in code units of the code point starting at `text[i]`. */
function unitsAt(text: string, i: number): number {
  return isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1)) ? 2 : 1;
}

/**
 * The {@link fnv1a} hashes of a text's shingles — the same values as hashing each string of
 * {@link shingles}, possibly repeated — computed from word offsets without building a string per word or
 * shingle (three times faster; MinHash only needs the hashes).
 */
export function shingleHashes(text: string, size: number): Uint32Array {
  const lower = text.normalize('NFC').toLowerCase();
  const starts: number[] = [];
  const ends: number[] = [];
  let i = 0;
  while (i < lower.length) {
    while (i < lower.length && classAt(lower, i) & SPACE) i++;
    if (i >= lower.length) break;
    let start = i;
    while (i < lower.length && !(classAt(lower, i) & SPACE)) i += unitsAt(lower, i);
    let end = i;
    // Strip leading and trailing \p{P}\p{S}, by code point.
    while (start < end && classAt(lower, start) & PUNCTUATION_OR_SYMBOL) start += unitsAt(lower, start);
    while (start < end) {
      const last =
        end >= 2 && isLowSurrogate(lower.charCodeAt(end - 1)) && isHighSurrogate(lower.charCodeAt(end - 2))
          ? end - 2
          : end - 1;
      if (!(classAt(lower, last) & PUNCTUATION_OR_SYMBOL)) break;
      end = last;
    }
    if (start < end) {
      starts.push(start);
      ends.push(end);
    }
  }
  const hashRange = (first: number, count: number) => {
    let hash = FNV_OFFSET;
    for (let w = first; w < first + count; w++) {
      if (w > first) hash = Math.imul(hash ^ 32, FNV_PRIME);
      for (let c = starts[w]!; c < ends[w]!; c++) hash = Math.imul(hash ^ lower.charCodeAt(c), FNV_PRIME);
    }
    return hash >>> 0;
  };
  if (starts.length < size) return Uint32Array.of(hashRange(0, starts.length));
  const out = new Uint32Array(starts.length - size + 1);
  for (let first = 0; first < out.length; first++) out[first] = hashRange(first, size);
  return out;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** The MinHash signature from shingle hashes: per hash function, the minimum of a·x + b (mod 2^32). */
function signatureOfHashes(hashes: Uint32Array, count: number, seed: number): Uint32Array {
  const { multipliers, offsets } = seededHashParameters(count, seed);
  const signature = new Uint32Array(count).fill(0xffffffff);
  for (let s = 0; s < hashes.length; s++) {
    const base = hashes[s]!;
    for (let i = 0; i < count; i++) {
      const value = (Math.imul(multipliers[i]!, base) + offsets[i]!) >>> 0;
      if (value < signature[i]!) signature[i] = value;
    }
  }
  return signature;
}

/**
 * The MinHash signature of a shingle set: for each of `count` hash functions h(x) = a·x + b (mod 2^32,
 * `a` odd), the minimum over the shingles.
 *
 * @example
 * ```ts
 * minhashSignature(shingles(text, 5), 112, 1);
 * ```
 */
export function minhashSignature(set: Set<string>, count: number, seed: number): Uint32Array {
  return signatureOfHashes(Uint32Array.from(set, fnv1a), count, seed);
}

/**
 * Drops near-duplicates: documents whose MinHash signatures agree on all rows of at least one band with an
 * earlier kept document (locality-sensitive hashing). With 14 bands × 8 rows, pairs with Jaccard similarity
 * 0.8 are caught with probability 1 - (1 - 0.8^8)^14 ≈ 0.92, pairs at 0.5 with ≈ 0.05. The first document
 * of each cluster is kept; each dropped one is reported with the document it matched.
 *
 * @example
 * ```ts
 * for await (const document of minhashDedup(stream, {}, (found) => log(found))) keep(document);
 * ```
 */
export async function* minhashDedup(
  documents: DocumentStream,
  options: MinhashOptions = {},
  onDuplicate: (found: NearDuplicate) => void = () => undefined,
): AsyncGenerator<CorpusDocument> {
  const shingleWords = options.shingleWords ?? 5;
  const bands = options.bands ?? 14;
  const rows = options.rows ?? 8;
  const seed = options.seed ?? 1;
  for (const [name, value] of [
    ['shingleWords', shingleWords],
    ['bands', bands],
    ['rows', rows],
  ] as const)
    if (!Number.isInteger(value) || value < 1)
      throw new CorpusOptionsError(name, value, 'must be a positive integer');
  const buckets = Array.from({ length: bands }, () => new Map<string, number>());
  const kept: Array<{ id: string; signature: Uint32Array }> = [];
  for await (const document of documents) {
    const signature = signatureOfHashes(shingleHashes(document.text, shingleWords), bands * rows, seed);
    const keys = Array.from({ length: bands }, (_, band) =>
      signature.subarray(band * rows, (band + 1) * rows).join(','),
    );
    const match = keys.map((key, band) => buckets[band]!.get(key)).find((index) => index !== undefined);
    if (match !== undefined) {
      const other = kept[match]!;
      let equal = 0;
      for (let i = 0; i < signature.length; i++) if (signature[i] === other.signature[i]) equal++;
      onDuplicate({ dropped: document.id, keptId: other.id, similarity: equal / signature.length });
      continue;
    }
    kept.push({ id: document.id, signature });
    for (const [band, key] of keys.entries()) buckets[band]!.set(key, kept.length - 1);
    yield document;
  }
}
