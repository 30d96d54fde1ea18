import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { DatasetFormatError } from './errors.js';

// Bounds on untrusted JSONL: V8 strings stop near 2^29 characters, so a file must fit well under that.
const MAX_FILE_BYTES = 256 * 1024 * 1024;
const MAX_LINE_CHARACTERS = 4 * 1024 * 1024;

/**
 * The objects of a JSONL file; a torn last line (a killed writer) is skipped, any other bad line throws a
 * {@link DatasetFormatError} naming the line. Files over 256 MiB and lines over 4 Mi characters are refused.
 *
 * @example
 * ```ts
 * const records = readJsonl<{ instruction: string }>('sft.jsonl');
 * ```
 */
export function readJsonl<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const size = statSync(path).size;
  if (size > MAX_FILE_BYTES)
    throw new DatasetFormatError(
      path,
      `file of ${size.toLocaleString('en-US')} bytes exceeds ${MAX_FILE_BYTES.toLocaleString('en-US')}`,
    );
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    if (line.length > MAX_LINE_CHARACTERS)
      throw new DatasetFormatError(
        `${path}:${i + 1}`,
        `line of ${line.length.toLocaleString('en-US')} characters exceeds ${MAX_LINE_CHARACTERS.toLocaleString('en-US')}`,
      );
    try {
      out.push(JSON.parse(line) as T);
    } catch (error) {
      if (i === lines.length - 1) return; // no newline yet: the write was cut, the item will be redone
      throw new DatasetFormatError(`${path}:${i + 1}`, `not JSON (${(error as Error).message})`);
    }
  });
  return out;
}

/**
 * Writes records as JSONL all at once: to a temporary file, fsync, rename — a reader never sees half a file.
 *
 * @example
 * ```ts
 * writeJsonlAtomic('data/sft-train.jsonl', train);
 * ```
 */
export function writeJsonlAtomic(path: string, records: Iterable<unknown>): void {
  const temporary = `${path}.${process.pid}.partial`;
  mkdirSync(dirname(path), { recursive: true });
  try {
    const fd = openSync(temporary, 'w');
    try {
      let buffered = '';
      for (const record of records) {
        buffered += `${JSON.stringify(record)}\n`;
        if (buffered.length > 1 << 20) {
          writeSync(fd, buffered);
          buffered = '';
        }
      }
      writeSync(fd, buffered);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * An append-only JSONL file: each record is one write of one line, then fsync, so a kill loses at most that line.
 *
 * @example
 * ```ts
 * const out = new JsonlAppender('sft.jsonl');
 * out.append({ instruction: 'q', output: 'a' });
 * out.close();
 * ```
 */
export class JsonlAppender {
  private readonly fd: number;
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
    // A torn last line from a killed run must not glue onto the next record.
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (text.length > 0 && !text.endsWith('\n')) writeSync(this.fd, '\n');
  }

  /** Appends one record and waits for it to reach the disk. */
  append(record: unknown): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
