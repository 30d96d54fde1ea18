import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { DocumentFormat, DocumentPart, LoadedDocument } from './document.js';
import { DocumentLoadError, LimitExceededError, UnsupportedFileTypeError } from './errors.js';
import { DEFAULT_LOAD_LIMITS, type LoadLimits } from './limits.js';
import { docxText } from './load-docx.js';
import { htmlText } from './load-html.js';
import { jsonlParts } from './load-jsonl.js';
import { pdfText } from './load-pdf.js';
import { markdownTitle } from './load-text.js';
import { decodeUtf8 } from './utf8.js';

/** Extension → format of every loader. */
export const DOCUMENT_FORMATS: ReadonlyMap<string, DocumentFormat> = new Map([
  ['.txt', 'text'],
  ['.text', 'text'],
  ['.md', 'markdown'],
  ['.markdown', 'markdown'],
  ['.html', 'html'],
  ['.htm', 'html'],
  ['.pdf', 'pdf'],
  ['.docx', 'docx'],
  ['.jsonl', 'jsonl'],
]);

/** Options of {@link loadDocument}. */
export interface LoadOptions {
  readonly limits?: Partial<LoadLimits>;
  /** The field holding the text in each JSONL record. Default `"text"`. */
  readonly jsonlField?: string;
}

/** Reads at most `limit` bytes, checking the size first: a file over the limit is never read. */
async function readBounded(path: string, limit: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > limit) throw new LimitExceededError(path, 'file size', size, limit);
    const bytes = new Uint8Array(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(bytes, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return bytes.subarray(0, read);
  } finally {
    await handle.close();
  }
}

/**
 * Loads one file as a document: its format from the extension, its text in parts (pages, records), its
 * sha256 and title. Every size, count and archive entry is checked against `limits` before it is used, and
 * every failure is a {@link DocumentLoadError} naming the file.
 *
 * @example
 * ```ts
 * const document = await loadDocument('handbook.pdf');
 * console.log(document.title, document.parts.length, document.sha256);
 * ```
 */
export async function loadDocument(path: string, options: LoadOptions = {}): Promise<LoadedDocument> {
  const limits = { ...DEFAULT_LOAD_LIMITS, ...options.limits };
  const extension = extname(path).toLowerCase();
  const format = DOCUMENT_FORMATS.get(extension);
  if (!format) throw new UnsupportedFileTypeError(path, extension, [...DOCUMENT_FORMATS.keys()]);
  let bytes: Uint8Array;
  try {
    bytes = await readBounded(path, limits.maxFileBytes);
  } catch (error) {
    if (error instanceof DocumentLoadError) throw error;
    throw new DocumentLoadError(path, `cannot be read (${(error as Error).message})`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let title: string | undefined;
  let parts: DocumentPart[];
  if (format === 'pdf') ({ title, parts } = await pdfText(path, bytes, limits));
  else if (format === 'docx') ({ title, parts } = await docxText(path, bytes, limits));
  else {
    const text = decodeUtf8(path, bytes);
    if (text.length > limits.maxTextLength)
      throw new LimitExceededError(path, 'text length', text.length, limits.maxTextLength);
    if (format === 'html') ({ title, parts } = htmlText(text));
    else if (format === 'jsonl') parts = jsonlParts(path, text, options.jsonlField ?? 'text', limits);
    else {
      title = format === 'markdown' ? markdownTitle(text) : undefined;
      parts = text.trim() ? [{ text }] : [];
    }
  }
  return { path, format, sha256, bytes: bytes.length, title: title ?? basename(path), parts };
}
