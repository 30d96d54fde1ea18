import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { CorpusDocument } from './document.js';
import { CorpusWriteError } from './errors.js';

/** Bytes gathered before each write. */
const CHUNK_BYTES = 1 << 20;

/**
 * Writes documents as JSONL to `<path>.partial`, and renames it to `path` on {@link JsonlWriter.commit}
 * after an fsync, so `path` exists only when complete. {@link JsonlWriter.abort} removes the partial file.
 */
export class JsonlWriter {
  private readonly temporary: string;
  private readonly descriptor: number;
  private pending: string[] = [];
  private pendingLength = 0;
  /** Documents written. */
  documents = 0;

  constructor(readonly path: string) {
    this.temporary = `${path}.partial`;
    try {
      this.descriptor = openSync(this.temporary, 'w');
    } catch (error) {
      throw new CorpusWriteError(path, error as NodeJS.ErrnoException);
    }
  }

  /** Appends one JSON line. */
  write(record: CorpusDocument | object): void {
    const line = `${JSON.stringify(record)}\n`;
    this.pending.push(line);
    this.pendingLength += line.length;
    this.documents++;
    if (this.pendingLength >= CHUNK_BYTES) this.flush();
  }

  private flush(): void {
    const bytes = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingLength = 0;
    try {
      for (let written = 0; written < bytes.length; )
        written += writeSync(this.descriptor, bytes, written, bytes.length - written);
    } catch (error) {
      this.abort();
      throw new CorpusWriteError(this.path, error as NodeJS.ErrnoException);
    }
  }

  /** Flushes, fsyncs and renames the file into place. */
  commit(): void {
    this.flush();
    try {
      fsyncSync(this.descriptor);
      closeSync(this.descriptor);
      renameSync(this.temporary, this.path);
    } catch (error) {
      rmSync(this.temporary, { force: true });
      throw new CorpusWriteError(this.path, error as NodeJS.ErrnoException);
    }
  }

  /** Closes and removes the partial file. */
  abort(): void {
    try {
      closeSync(this.descriptor);
    } catch {
      // already closed
    }
    rmSync(this.temporary, { force: true });
  }
}
