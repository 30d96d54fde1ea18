import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
  if (bytes.length < HEADER_BYTES)
    throw new ShardFormatError(path, 'size', bytes.length, `is smaller than the ${HEADER_BYTES}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
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
  if (count < 0 || HEADER_BYTES + count * format.bytes !== bytes.length)
    throw new ShardFormatError(path, 'token count', count, `does not match the ${bytes.length}-byte file`);
  const tokens = new Uint32Array(count);
  for (let i = 0; i < count; i++)
    tokens[i] =
      format.bytes === 2
        ? view.getUint16(HEADER_BYTES + i * 2, true)
        : view.getUint32(HEADER_BYTES + i * 4, true);
  return tokens;
}
