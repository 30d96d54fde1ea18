import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Random access to the bytes of a file or buffer. */
export interface ByteSource {
  readonly size: number;
  /** Copies `length` bytes from `offset` (both within `size`). */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/** A byte source over memory. */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (offset, length) => bytes.slice(offset, offset + length), close() {} };
}

/** A byte source over a file, read by range (the file is never loaded whole). */
export function fileSource(path: string): ByteSource {
  const descriptor = openSync(path, 'r');
  const size = fstatSync(descriptor).size;
  return {
    size,
    read(offset, length) {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const got = readSync(descriptor, out, done, length - done, offset + done);
        if (got === 0) break;
        done += got;
      }
      return out;
    },
    close: () => closeSync(descriptor),
  };
}
