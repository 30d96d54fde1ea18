import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { CorpusWriteError } from './errors.js';

/**
 * Writes a file so that it appears whole or not at all: a temporary file beside it, every byte written
 * (`writeSync` may write less than asked), fsync, rename, fsync of the folder. On any failure (a full
 * disk, say) the temporary file is removed, an existing file at `path` is left as it was, and a
 * {@link CorpusWriteError} names the file and the system error.
 */
export function writeFileAtomic(path: string, contents: Uint8Array | string): void {
  const bytes = typeof contents === 'string' ? Buffer.from(contents) : contents;
  const temporary = `${path}.${process.pid}.partial`;
  try {
    const descriptor = openSync(temporary, 'w');
    try {
      for (let written = 0; written < bytes.length; )
        written += writeSync(descriptor, bytes, written, bytes.length - written);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new CorpusWriteError(path, error as NodeJS.ErrnoException);
  }
  try {
    const folder = openSync(dirname(path), 'r');
    try {
      fsyncSync(folder);
    } finally {
      closeSync(folder);
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename itself is still atomic.
  }
}
