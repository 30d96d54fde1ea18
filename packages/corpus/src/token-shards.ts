import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { ShardFormatError } from './errors.js';

/** llm.c dev/data/data_common.py HEADERS_INFO: magic and version per token width. */
export const SHARD_FORMATS = {
  uint16: { magic: 20240520, version: 1, bytes: 2 },
  uint32: { magic: 20240801, version: 7, bytes: 4 },
} as const;

/** The llm.c header: 256 little-endian int32 (1,024 bytes); [0] magic, [1] version, [2] token count. */
const HEADER_INTS = 256;
const HEADER_BYTES = HEADER_INTS * 4;

/**
 * Writes one llm.c token shard atomically (temporary file, fsync, rename) and returns its sha256. Token
 * width is uint16 when every id fits (vocabulary ≤ 65,536), else uint32 — never a silent wrap.
 *
 * @example
 * ```ts
 * writeShard('train_000000.bin', Uint32Array.of(50256, 464, 3797), 50257); // uint16 shard
 * ```
 */
export function writeShard(
  path: string,
  tokens: Uint32Array,
  vocabSize: number,
): { sha256: string; width: 'uint16' | 'uint32' } {
  const width = vocabSize <= 65_536 ? 'uint16' : 'uint32';
  const format = SHARD_FORMATS[width];
  const bytes = new Uint8Array(HEADER_BYTES + tokens.length * format.bytes);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, format.magic, true);
  view.setInt32(4, format.version, true);
  view.setInt32(8, tokens.length, true);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token >= vocabSize)
      throw new ShardFormatError(
        path,
        'token',
        token,
        `at index ${i} is not below the vocabulary size ${vocabSize}`,
      );
    if (width === 'uint16') view.setUint16(HEADER_BYTES + i * 2, token, true);
    else view.setUint32(HEADER_BYTES + i * 4, token, true);
  }
  writeFileAtomic(path, bytes);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), width };
}

/** sha256 of a file's bytes, as hex. */
export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Reads an llm.c shard, checking magic, version, token count against the file size.
 *
 * @example
 * ```ts
 * const tokens = readShard('train_000000.bin'); // Uint32Array
 * ```
 */
export function readShard(path: string): Uint32Array {
  const bytes = readFileSync(path);
  const { format, count } = checkHeader(path, bytes, bytes.length);
  return decodeTokens(bytes.subarray(HEADER_BYTES), format.bytes, count);
}

type ShardFormat = (typeof SHARD_FORMATS)[keyof typeof SHARD_FORMATS];

/** Checks an llm.c header (the first 1,024 bytes of a file of `fileSize` bytes): magic, version, count. */
function checkHeader(
  path: string,
  header: Uint8Array,
  fileSize: number,
): { format: ShardFormat; count: number } {
  if (fileSize < HEADER_BYTES || header.length < HEADER_BYTES)
    throw new ShardFormatError(path, 'size', fileSize, `is smaller than the ${HEADER_BYTES}-byte header`);
  const view = new DataView(header.buffer, header.byteOffset, HEADER_BYTES);
  const magic = view.getInt32(0, true);
  const version = view.getInt32(4, true);
  const count = view.getInt32(8, true);
  const format =
    magic === SHARD_FORMATS.uint16.magic
      ? SHARD_FORMATS.uint16
      : magic === SHARD_FORMATS.uint32.magic
        ? SHARD_FORMATS.uint32
        : undefined;
  if (!format)
    throw new ShardFormatError(path, 'magic', magic, 'is not 20240520 (uint16) or 20240801 (uint32)');
  if (version !== format.version)
    throw new ShardFormatError(path, 'version', version, `is not ${format.version}`);
  if (count < 0 || HEADER_BYTES + count * format.bytes !== fileSize)
    throw new ShardFormatError(path, 'token count', count, `does not match the ${fileSize}-byte file`);
  return { format, count };
}

function decodeTokens(bytes: Uint8Array, width: number, count: number): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * width);
  const tokens = new Uint32Array(count);
  for (let i = 0; i < count; i++)
    tokens[i] = width === 2 ? view.getUint16(i * 2, true) : view.getUint32(i * 4, true);
  return tokens;
}

/** `length` bytes at `position` (fewer only at the end of the file). */
function readAt(descriptor: number, position: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const read = readSync(descriptor, bytes, filled, length - filled, position + filled);
    if (read === 0) break;
    filled += read;
  }
  return bytes.subarray(0, filled);
}

/** The shards of a manifest as one token sequence, read by range. */
export interface TokenShardSet {
  /** Tokens in all shards. */
  readonly length: number;
  /** Tokens [offset, offset + count), across shard boundaries, read from disk. */
  read(offset: number, count: number): Uint32Array;
  /** Closes the files. */
  close(): void;
}

/**
 * Opens the shards a manifest lists (written by {@link packShards}) as one sequence read by range: only
 * the headers are read up front (each checked: magic, version, count against the file size, and the count
 * against the manifest), then each `read` fetches just the bytes it needs, so a trainer can sample windows
 * from shards far larger than memory.
 *
 * @example
 * ```ts
 * const shards = openTokenShards('out/train.manifest.json');
 * const window = shards.read(1_000_000, 129);
 * ```
 */
export function openTokenShards(manifestPath: string): TokenShardSet {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { shards?: unknown };
  if (!Array.isArray(manifest.shards))
    throw new ShardFormatError(manifestPath, 'shards', Number.NaN, 'is not a list in the manifest');
  const folder = dirname(manifestPath);
  const opened: Array<{ descriptor: number; start: number; count: number; width: number; path: string }> = [];
  let length = 0;
  try {
    for (const entry of manifest.shards as Array<{ file?: unknown; tokens?: unknown }>) {
      if (typeof entry?.file !== 'string' || basename(entry.file) !== entry.file)
        throw new ShardFormatError(
          manifestPath,
          'shard file',
          Number.NaN,
          `${JSON.stringify(entry?.file)} is not a file name`,
        );
      const path = join(folder, entry.file);
      const descriptor = openSync(path, 'r');
      opened.push({ descriptor, start: length, count: 0, width: 0, path });
      const header = readAt(descriptor, 0, HEADER_BYTES);
      const { format, count } = checkHeader(path, header, fstatSync(descriptor).size);
      if (count !== entry.tokens)
        throw new ShardFormatError(
          path,
          'token count',
          count,
          `differs from the manifest's ${String(entry.tokens)}`,
        );
      Object.assign(opened[opened.length - 1]!, { count, width: format.bytes });
      length += count;
    }
  } catch (error) {
    for (const shard of opened) closeSync(shard.descriptor);
    throw error;
  }
  return {
    length,
    read(offset: number, count: number): Uint32Array {
      if (
        !Number.isSafeInteger(offset) ||
        !Number.isSafeInteger(count) ||
        offset < 0 ||
        count < 0 ||
        offset + count > length
      )
        throw new RangeError(`tokens [${offset}, ${offset + count}) are outside [0, ${length})`);
      const out = new Uint32Array(count);
      let written = 0;
      for (const shard of opened) {
        if (written === count) break;
        const at = offset + written;
        if (at >= shard.start + shard.count || at < shard.start) continue;
        const first = at - shard.start;
        const take = Math.min(count - written, shard.count - first);
        const bytes = readAt(shard.descriptor, HEADER_BYTES + first * shard.width, take * shard.width);
        out.set(decodeTokens(bytes, shard.width, take), written);
        written += take;
      }
      return out;
    },
    close(): void {
      for (const shard of opened) closeSync(shard.descriptor);
    },
  };
}
