import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

/** The objects of a JSONL file; a torn last line (a killed writer) is skipped, any other bad line throws. */
export function readJsonl<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(JSON.parse(line) as T);
    } catch (error) {
      if (i === lines.length - 1) return; // no newline yet: the write was cut, the item will be redone
      throw new SyntaxError(`${path}:${i + 1}: ${(error as Error).message}`);
    }
  });
  return out;
}

/** An append-only JSONL file: each record is one write of one line, then fsync, so a kill loses at most that line. */
export class JsonlAppender {
  private readonly fd: number;
  constructor(readonly path: string) {
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
