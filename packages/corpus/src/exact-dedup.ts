import { createHash } from 'node:crypto';
import type { CorpusDocument, DocumentStream } from './document.js';

/** The key two documents share when they are exact duplicates: sha256 of the NFC text with whitespace folded. */
export function contentKey(text: string): string {
  return createHash('sha256').update(text.normalize('NFC').replace(/\s+/gu, ' ').trim()).digest('hex');
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
