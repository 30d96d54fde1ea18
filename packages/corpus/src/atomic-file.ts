import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

/** Writes a file so that it appears whole or not at all: temporary file beside it, fsync, rename. */
export function writeFileAtomic(path: string, contents: Uint8Array | string): void {
  const temporary = `${path}.${process.pid}.partial`;
  const descriptor = openSync(temporary, 'w');
  try {
    writeSync(descriptor, typeof contents === 'string' ? Buffer.from(contents) : contents);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, path);
}
