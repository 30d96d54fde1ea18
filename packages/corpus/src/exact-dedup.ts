import { createHash } from 'node:crypto';
import type { CorpusDocument, DocumentStream } from './document.js';
import { STOP_WORD_LISTS } from './quality-rules.js';
import { scanWordsCached } from './word-scan.js';

/**
 * The key two documents share when they are exact duplicates, that is when their NFC texts have the same
 * words (whitespace runs count as one space): sha256 of the sequence of 64-bit word hashes. The filter
 * has already hashed the words of the text it passes on, so this costs no second pass over the text.
 *
 * @example
 * ```ts
 * contentKey('Caf\u00e9  au lait\n') === contentKey('Cafe\u0301 au lait'); // true
 * ```
 */
export function contentKey(text: string): string {
  const { high, low } = scanWordsCached(text.normalize('NFC'), STOP_WORD_LISTS);
  const bytes = (array: Int32Array) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  return createHash('sha256').update(bytes(high)).update(bytes(low)).digest('hex');
}

/**
 * Keeps the first document of each exact-duplicate set (NFC and NFD spellings and whitespace variants
 * count as the same text); reports each dropped one with the id it duplicates. Memory: 32 bytes a document.
 *
 * @example
 * ```ts
 * for await (const document of exactDedup(stream, (dropped, original) => log(dropped.id, original))) keep(document);
 * ```
 */
export async function* exactDedup(
  documents: DocumentStream,
  onDuplicate: (dropped: CorpusDocument, firstId: string) => void = () => undefined,
): AsyncGenerator<CorpusDocument> {
  const seen = new Map<string, string>();
  for await (const document of documents) {
    const key = contentKey(document.text);
    const first = seen.get(key);
    if (first !== undefined) {
      onDuplicate(document, first);
      continue;
    }
    seen.set(key, document.id);
    yield document;
  }
}
