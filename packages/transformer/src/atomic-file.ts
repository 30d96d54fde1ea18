import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** fsyncs a folder so a rename inside it survives a crash (a no-op where folders cannot be fsynced). */
export function syncFolder(path: string): void {
  try {
    const descriptor = openSync(path, 'r');
    try {
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
  } catch {
    // some file systems cannot fsync a folder; the rename itself is still atomic
  }
}

/**
 * Writes a file so that it appears whole or not at all: a temporary file beside it, every byte written,
 * fsync, rename, fsync of the folder. On failure the temporary file is removed and the error rethrown.
 */
export function writeFileAtomic(path: string, contents: string): void {
  const temporary = `${path}.${process.pid}.partial`;
  try {
    const descriptor = openSync(temporary, 'w');
    try {
      const bytes = Buffer.from(contents);
      for (let written = 0; written < bytes.length; ) written += writeSync(descriptor, bytes, written);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  syncFolder(dirname(path));
}
