import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { CorpusDocument } from './document.js';
import { type FetchOptions, fetchText } from './fetch-url.js';
import { expandGlob, isGlob } from './glob.js';
import { htmlToText } from './html-to-text.js';
import { readFileLines, StreamCapError } from './line-stream.js';

/** Options of {@link readDocuments}. */
export interface ReadOptions {
  /** `source` of every document; default: the name of the path, glob base or host it was found under. */
  readonly source?: string;
  /** JSONL field holding the text. Default `'text'`. */
  readonly textField?: string;
  /**
   * Largest file after gunzip, in bytes (a gzip bomb stops here). Whole-file documents (`.txt`, `.md`,
   * `.html`) default to 256 MiB; JSONL is streamed a line at a time and has no file limit unless set.
   */
  readonly maxFileBytes?: number;
  /** Largest document (a JSONL line or a file), in UTF-8 bytes. Default 16 MiB. */
  readonly maxDocumentBytes?: number;
  /** How URLs are fetched (timeouts, retries, byte cap). */
  readonly fetch?: FetchOptions;
  /** Called for every file, URL or line that is skipped, with the reason. */
  readonly onSkip?: (where: string, reason: string) => void;
  /** Called when a file is not valid UTF-8, with the number of U+FFFD replacements made. */
  readonly onInvalidUtf8?: (path: string, replacements: number) => void;
}

const TEXT_EXTENSIONS = new Set(['.txt', '.md', '.jsonl', '.html', '.htm']);
const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** The extension that decides the format: `.jsonl` for `a.jsonl.gz`. */
function formatOf(path: string): string {
  return extname(path.endsWith('.gz') ? path.slice(0, -3) : path).toLowerCase();
}

/** Files under `path` (itself if a file), in sorted order, with a supported extension (optionally `.gz`). */
function listFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return listFiles(child);
      return TEXT_EXTENSIONS.has(formatOf(entry.name)) ? [child] : [];
    });
}

/** Decodes UTF-8; invalid bytes become U+FFFD and are counted. */
function decode(bytes: Uint8Array): { text: string; replacements: number } {
  try {
    return { text: strict.decode(bytes), replacements: 0 };
  } catch {
    const text = lenient.decode(bytes);
    return { text, replacements: text.match(/\ufffd/g)?.length ?? 0 };
  }
}

/** Where the documents of one input come from. */
interface InputFiles {
  readonly source: string;
  readonly base: string;
  readonly files: string[];
}

function filesOf(input: string, options: ReadOptions): InputFiles {
  if (isGlob(input)) {
    const { base, files } = expandGlob(input);
    return { source: options.source ?? basename(base), base, files };
  }
  const base = statSync(input).isDirectory() ? input : dirname(input);
  return { source: options.source ?? basename(input).replace(/\.gz$/, ''), base, files: listFiles(input) };
}

/**
 * Reads documents from files, folders, globs and URLs, in order (folders recursively and sorted):
 * `.txt` and `.md` (one document a file), `.jsonl` (one a line, text in `textField`; `id`, `group`,
 * `source` taken from the line when they are strings), `.html` (tags, scripts and styles removed), each
 * optionally gzipped. JSONL is streamed: memory holds one line, and a line over `maxDocumentBytes` is read
 * through and skipped with a reason. URLs (`http:`, `https:`) go through {@link fetchText}, with its
 * timeouts, retries and refusals; a failed URL is skipped with the error. Invalid UTF-8 is decoded with
 * replacement characters and reported. A document's `group` is its folder (relative to the folder or glob
 * base given) or the URL's host, so splitting by group keeps a folder or a site together.
 *
 * @example
 * ```ts
 * for await (const document of readDocuments(['notes/', 'data/**\/*.jsonl.gz', 'https://example.com/a.txt'], { onSkip: console.warn }))
 *   use(document);
 * ```
 */
export async function* readDocuments(
  paths: readonly string[],
  options: ReadOptions = {},
): AsyncGenerator<CorpusDocument> {
  const skip = options.onSkip ?? (() => undefined);
  for (const input of paths) {
    if (/^https?:\/\//i.test(input)) {
      yield* urlDocuments(input, options);
      continue;
    }
    let found: InputFiles;
    try {
      found = filesOf(input, options);
    } catch (error) {
      skip(input, (error as Error).message);
      continue;
    }
    for (const file of found.files) {
      const name = relative(found.base, file) || basename(file);
      const group = dirname(name) === '.' ? name : dirname(name);
      if (formatOf(file) === '.jsonl')
        yield* jsonlFileDocuments(file, name, { ...options, source: found.source, group });
      else {
        const document = wholeFileDocument(file, name, { ...options, source: found.source, group });
        if (document) yield document;
      }
    }
  }
}

interface Placement extends ReadOptions {
  readonly source: string;
  readonly group: string;
}

function wholeFileDocument(file: string, name: string, options: Placement): CorpusDocument | undefined {
  const maxFile = options.maxFileBytes ?? 256 * 2 ** 20;
  const maxDocument = options.maxDocumentBytes ?? 16 * 2 ** 20;
  let bytes: Uint8Array;
  try {
    if (statSync(file).size > maxFile) throw new RangeError(`file exceeds ${maxFile} bytes`);
    bytes = readFileSync(file);
    if (file.endsWith('.gz')) bytes = gunzipSync(bytes, { maxOutputLength: maxFile });
  } catch (error) {
    options.onSkip?.(file, (error as Error).message);
    return undefined;
  }
  if (bytes.length > maxDocument) {
    options.onSkip?.(file, `document of ${bytes.length} bytes exceeds ${maxDocument}`);
    return undefined;
  }
  const { text, replacements } = decode(bytes);
  if (replacements > 0) options.onInvalidUtf8?.(file, replacements);
  const format = formatOf(file);
  return {
    id: name,
    source: options.source,
    group: options.group,
    text: format === '.html' || format === '.htm' ? htmlToText(text) : text,
  };
}

async function* jsonlFileDocuments(
  file: string,
  name: string,
  options: Placement,
): AsyncGenerator<CorpusDocument> {
  const maxDocument = options.maxDocumentBytes ?? 16 * 2 ** 20;
  const skip = options.onSkip ?? (() => undefined);
  let replacements = 0;
  try {
    for await (const line of readFileLines(file, maxDocument, options.maxFileBytes)) {
      const where = `${name}:${line.number}`;
      if (line.oversized) {
        skip(where, `line of ${line.length} bytes exceeds ${maxDocument}`);
        continue;
      }
      const decoded = decode(line.bytes);
      replacements += decoded.replacements;
      const document = jsonlDocument(decoded.text, where, options);
      if (document) yield document;
    }
  } catch (error) {
    if (!(error instanceof StreamCapError) && (error as NodeJS.ErrnoException).code === undefined)
      throw error;
    skip(file, (error as Error).message);
  }
  if (replacements > 0) options.onInvalidUtf8?.(file, replacements);
}

/** One JSONL line as a document, or undefined (reported) when it is blank, not JSON or has no text. */
function jsonlDocument(line: string, where: string, options: Placement): CorpusDocument | undefined {
  if (line.trim().length === 0) return undefined;
  const textField = options.textField ?? 'text';
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (error) {
    options.onSkip?.(where, `not JSON: ${(error as Error).message}`);
    return undefined;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    options.onSkip?.(where, 'not a JSON object');
    return undefined;
  }
  const fields = new Map(Object.entries(record));
  const body = fields.get(textField);
  if (typeof body !== 'string') {
    options.onSkip?.(where, `no string field "${textField}"`);
    return undefined;
  }
  const text = (key: string, fallback: string) => {
    const value = fields.get(key);
    return typeof value === 'string' ? value : fallback;
  };
  return {
    id: text('id', where),
    source: text('source', options.source),
    group: text('group', options.group),
    text: body,
  };
}

async function* urlDocuments(url: string, options: ReadOptions): AsyncGenerator<CorpusDocument> {
  let fetched: Awaited<ReturnType<typeof fetchText>>;
  try {
    fetched = await fetchText(url, options.fetch);
  } catch (error) {
    options.onSkip?.(url, (error as Error).message);
    return;
  }
  if (fetched.invalidUtf8 > 0) options.onInvalidUtf8?.(url, fetched.invalidUtf8);
  const final = new URL(fetched.finalUrl);
  const placement: Placement = { ...options, source: options.source ?? final.host, group: final.host };
  const format = formatOf(final.pathname);
  if (format === '.jsonl') {
    const maxDocument = options.maxDocumentBytes ?? 16 * 2 ** 20;
    let number = 0;
    for (const line of fetched.text.split('\n')) {
      number++;
      const bytes = Buffer.byteLength(line);
      if (bytes > maxDocument) {
        options.onSkip?.(`${url}:${number}`, `line of ${bytes} bytes exceeds ${maxDocument}`);
        continue;
      }
      const document = jsonlDocument(line, `${url}:${number}`, placement);
      if (document) yield document;
    }
    return;
  }
  const html = format === '.html' || format === '.htm' || /^\s*<(!doctype html|html)/i.test(fetched.text);
  yield {
    id: url,
    source: placement.source,
    group: placement.group,
    text: html ? htmlToText(fetched.text) : fetched.text,
  };
}
