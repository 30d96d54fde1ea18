import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

/** Writes a file so that it appears whole or not at all: temp file in the same folder, fsync, rename. */
export function writeFileAtomic(path: string, contents: string): void {
  const temporary = `${path}.${process.pid}.partial`;
  const descriptor = openSync(temporary, 'w');
  try {
    writeSync(descriptor, contents);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, path);
}
