import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { CorpusDocument } from './document.js';
import { htmlToText } from './html-to-text.js';

/** Options of {@link readDocuments}. */
export interface ReadOptions {
  /** `source` of every document; default: the name of the path it was found under. */
  readonly source?: string;
  /** JSONL field holding the text. Default `'text'`. */
  readonly textField?: string;
  /** Largest file, after gunzip, in bytes (a gzip bomb stops here). Default 256 MiB. */
  readonly maxFileBytes?: number;
  /** Largest document (a JSONL line or a file), in UTF-8 bytes. Default 16 MiB. */
  readonly maxDocumentBytes?: number;
  /** Called for every file or line that is skipped, with the reason. */
  readonly onSkip?: (where: string, reason: string) => void;
  /** Called when a file is not valid UTF-8, with the number of U+FFFD replacements made. */
  readonly onInvalidUtf8?: (path: string, replacements: number) => void;
}

const TEXT_EXTENSIONS = new Set(['.txt', '.md', '.jsonl', '.html', '.htm']);
const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** Files under `path` (itself if a file), in sorted order, with a supported extension (optionally `.gz`). */
function listFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return listFiles(child);
      const inner = entry.name.endsWith('.gz') ? entry.name.slice(0, -3) : entry.name;
      return TEXT_EXTENSIONS.has(extname(inner).toLowerCase()) ? [child] : [];
    });
}

function decode(bytes: Uint8Array, path: string, options: ReadOptions): string {
  try {
    return strict.decode(bytes);
  } catch {
    const text = lenient.decode(bytes);
    options.onInvalidUtf8?.(path, text.match(/\ufffd/g)?.length ?? 0);
    return text;
  }
}

/**
 * Reads documents from files and folders (recursively, in sorted order): `.txt` and `.md` (one document a
 * file), `.jsonl` (one a line, text in `textField`; `id`, `group`, `source` taken from the line when they
 * are strings), `.html` (tags, scripts and styles removed), each optionally gzipped. Decompression stops at
 * `maxFileBytes`; oversized files and lines, malformed JSONL lines and lines without text are skipped with
 * a reason; invalid UTF-8 is decoded with replacement characters and reported. A document's `group` is
 * its folder (relative to the path given), so splitting by group keeps a folder together.
 *
 * @example
 * ```ts
 * for await (const document of readDocuments(['my-notes/', 'data.jsonl.gz'], { onSkip: console.warn })) use(document);
 * ```
 */
export async function* readDocuments(
  paths: readonly string[],
  options: ReadOptions = {},
): AsyncGenerator<CorpusDocument> {
  const maxFile = options.maxFileBytes ?? 256 * 2 ** 20;
  const maxDocument = options.maxDocumentBytes ?? 16 * 2 ** 20;
  const skip = options.onSkip ?? (() => undefined);
  for (const root of paths) {
    const source = options.source ?? basename(root).replace(/\.(gz)$/, '');
    const base = statSync(root).isDirectory() ? root : dirname(root);
    for (const file of listFiles(root)) {
      const name = relative(base, file) || basename(file);
      const group = dirname(name) === '.' ? name : dirname(name);
      let bytes: Uint8Array;
      try {
        if (statSync(file).size > maxFile) throw new RangeError(`file exceeds ${maxFile} bytes`);
        bytes = readFileSync(file);
        if (file.endsWith('.gz')) bytes = gunzipSync(bytes, { maxOutputLength: maxFile });
      } catch (error) {
        skip(file, (error as Error).message);
        continue;
      }
      const inner = file.endsWith('.gz') ? file.slice(0, -3) : file;
      const text = decode(bytes, file, options);
      const extension = extname(inner).toLowerCase();
      if (extension === '.jsonl') {
        yield* jsonlDocuments(text, name, {
          source,
          group,
          maxDocument,
          textField: options.textField ?? 'text',
          skip,
        });
        continue;
      }
      if (bytes.length > maxDocument) {
        skip(file, `document of ${bytes.length} bytes exceeds ${maxDocument}`);
        continue;
      }
      yield {
        id: name,
        source,
        group,
        text: extension === '.html' || extension === '.htm' ? htmlToText(text) : text,
      };
    }
  }
}

function* jsonlDocuments(
  text: string,
  name: string,
  context: {
    source: string;
    group: string;
    maxDocument: number;
    textField: string;
    skip: (where: string, reason: string) => void;
  },
): Generator<CorpusDocument> {
  let lineNumber = 0;
  for (const line of text.split('\n')) {
    lineNumber++;
    if (line.trim().length === 0) continue;
    const where = `${name}:${lineNumber}`;
    if (line.length > context.maxDocument) {
      context.skip(where, `line of ${line.length} characters exceeds ${context.maxDocument}`);
      continue;
    }
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      context.skip(where, `not JSON: ${(error as Error).message}`);
      continue;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      context.skip(where, 'not a JSON object');
      continue;
    }
    const fields = new Map(Object.entries(record));
    const body = fields.get(context.textField);
    if (typeof body !== 'string') {
      context.skip(where, `no string field "${context.textField}"`);
      continue;
    }
    const text = (key: string, fallback: string) => {
      const value = fields.get(key);
      return typeof value === 'string' ? value : fallback;
    };
    yield {
      id: text('id', where),
      source: text('source', context.source),
      group: text('group', context.group),
      text: body,
    };
  }
}
