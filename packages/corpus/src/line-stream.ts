import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

/** One line of a file: its bytes (without the newline), or only its length when it exceeded the cap. */
export type FileLine =
  | { readonly number: number; readonly bytes: Buffer; readonly oversized: false }
  | { readonly number: number; readonly length: number; readonly oversized: true };

/** A file's decompressed bytes went past their cap; the lines before it were yielded. */
export class StreamCapError extends RangeError {
  constructor(
    readonly path: string,
    readonly limit: number,
  ) {
    super(`more than ${limit} bytes after decompression`);
  }
}

/**
 * Streams the lines of a file (gunzipped when it ends in `.gz`), holding at most `maxLineBytes` of one line
 * in memory: a longer line is read through and reported by its length only. Stops with
 * {@link StreamCapError} after `maxBytes` decompressed bytes (a gzip bomb).
 */
export async function* readFileLines(
  path: string,
  maxLineBytes: number,
  maxBytes = Number.POSITIVE_INFINITY,
): AsyncGenerator<FileLine> {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const source = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let number = 0;
  let total = 0;
  const finish = (): FileLine => {
    number++;
    const line: FileLine =
      pendingLength > maxLineBytes
        ? { number, length: pendingLength, oversized: true }
        : { number, bytes: pending.length === 1 ? pending[0]! : Buffer.concat(pending), oversized: false };
    pending = [];
    pendingLength = 0;
    return line;
  };
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw new StreamCapError(path, maxBytes);
      let from = 0;
      while (from < chunk.length) {
        const newline = chunk.indexOf(10, from);
        const end = newline < 0 ? chunk.length : newline;
        // Keep the bytes only while the line is within the cap.
        if (pendingLength + (end - from) <= maxLineBytes) pending.push(chunk.subarray(from, end));
        else pending = [];
        pendingLength += end - from;
        if (newline < 0) break;
        yield finish();
        from = newline + 1;
      }
    }
    if (pendingLength > 0) yield finish();
  } finally {
    raw.destroy();
  }
}
