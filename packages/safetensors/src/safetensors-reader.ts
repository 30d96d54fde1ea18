import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DTYPE_SIZE } from './dtypes.js';
import { PickleFileError, SafetensorsError, type SafetensorsErrorCode } from './errors.js';
import { type JsonValue, parseStrictJson, type StrictJsonError } from './strict-json.js';

/** safetensors' own limit on the JSON header (100 MB, `MAX_HEADER_SIZE` in the Rust crate). */
export const MAX_HEADER_BYTES = 100_000_000;
const MAX_RANK = 64;

/** One tensor of a safetensors file. */
export interface SafetensorsTensorInfo {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
  /** Byte range relative to the data section. */
  readonly begin: number;
  readonly end: number;
}

/** A parsed safetensors header; data is read by range with {@link readSafetensorsTensor}. */
export interface SafetensorsFile {
  /** `__metadata__` (string → string). */
  readonly metadata: Map<string, string>;
  /** In data order. */
  readonly tensors: SafetensorsTensorInfo[];
  /** Absolute offset of the data section: 8 + header length. */
  readonly dataOffset: number;
}

/** Random access to bytes: the reader never needs the whole file in memory. */
export interface SafetensorsSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

function fail(code: SafetensorsErrorCode, offset: number, field: string, problem: string): never {
  throw new SafetensorsError(code, offset, field, problem);
}

/** Recognises pickle (protocol 2–5, opcode PROTO 0x80) and PyTorch zip checkpoints (`PK\x03\x04`). */
export function pickleKind(head: Uint8Array): 'pickle' | 'pytorch-zip' | undefined {
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'pytorch-zip';
  if (head[0] === 0x80 && head[1] !== undefined && head[1] >= 2 && head[1] <= 5) return 'pickle';
  return undefined;
}

const nonNegativeInteger = (value: JsonValue | undefined): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * Parses and checks a safetensors header: the header length against 100 MB and the file; strict JSON
 * (duplicate keys refused, `JSON.parse` would keep the last); `__metadata__` string → string; each tensor
 * has exactly `dtype` (known), `shape` (non-negative integers) and `data_offsets`; the byte length is
 * shape × dtype size, computed without overflow; offsets start at 0 and are contiguous to the end of the file.
 *
 * @example
 * ```ts
 * const file = parseSafetensors(memorySource(bytes));
 * ```
 */
export function parseSafetensors(source: SafetensorsSource, name = 'file'): SafetensorsFile {
  const kind = pickleKind(source.read(0, Math.min(4, source.size)));
  if (kind !== undefined) throw new PickleFileError(name, kind);
  if (source.size < 8)
    fail(
      'TRUNCATED',
      0,
      'header_length',
      `the file has ${source.size} bytes, fewer than the 8-byte header length`,
    );
  const headerLength = new DataView(source.read(0, 8).buffer).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES))
    fail(
      'HEADER_TOO_LARGE',
      0,
      'header_length',
      `header length ${headerLength} exceeds ${MAX_HEADER_BYTES.toLocaleString('en-US')} bytes`,
    );
  if (headerLength > BigInt(source.size - 8))
    fail(
      'TRUNCATED',
      0,
      'header_length',
      `header length ${headerLength} exceeds the ${source.size - 8} bytes after it`,
    );
  const dataOffset = 8 + Number(headerLength);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(source.read(8, Number(headerLength)));
  } catch {
    return fail('BAD_JSON', 8, 'header', 'header is not valid UTF-8');
  }
  let header: JsonValue;
  try {
    header = parseStrictJson(text);
  } catch (error) {
    const problem = error as StrictJsonError;
    const code = problem.duplicateKey !== undefined ? 'DUPLICATE_KEY' : 'BAD_JSON';
    return fail(code, 8 + problem.index, problem.duplicateKey ?? 'header', `header JSON: ${problem.message}`);
  }
  if (!(header instanceof Map)) return fail('BAD_JSON', 8, 'header', 'header is not a JSON object');

  const metadata = new Map<string, string>();
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [key, entry] of header) {
    if (key === '__metadata__') {
      if (!(entry instanceof Map)) fail('BAD_METADATA', 8, key, '__metadata__ must be an object');
      for (const [field, value] of entry) {
        if (typeof value !== 'string')
          fail('BAD_METADATA', 8, `__metadata__.${field}`, 'metadata values must be strings');
        metadata.set(field, value);
      }
      continue;
    }
    if (
      !(entry instanceof Map) ||
      entry.size !== 3 ||
      !entry.has('dtype') ||
      !entry.has('shape') ||
      !entry.has('data_offsets')
    )
      fail('BAD_ENTRY', 8, key, 'a tensor entry has exactly "dtype", "shape" and "data_offsets"');
    const dtype = entry.get('dtype');
    const elementSize = typeof dtype === 'string' ? DTYPE_SIZE.get(dtype) : undefined;
    if (elementSize === undefined)
      fail('UNKNOWN_DTYPE', 8, key, `dtype ${JSON.stringify(dtype)} is not a safetensors dtype`);
    const shape = entry.get('shape');
    if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every(nonNegativeInteger))
      fail('BAD_SHAPE', 8, key, `shape must be at most ${MAX_RANK} non-negative integers`);
    const offsets = entry.get('data_offsets');
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every(nonNegativeInteger) ||
      offsets[0]! > offsets[1]!
    )
      fail('BAD_OFFSETS', 8, key, 'data_offsets must be [begin, end] with 0 ≤ begin ≤ end');
    const [begin, end] = offsets as [number, number];
    const bytes = (shape as number[]).reduce((total, size) => total * BigInt(size), BigInt(elementSize!));
    if (bytes !== BigInt(end - begin))
      fail(
        'SIZE_MISMATCH',
        8,
        key,
        `shape [${(shape as number[]).join(', ')}] of ${dtype} is ${bytes} bytes, data_offsets span ${end - begin}`,
      );
    tensors.push({ name: key, dtype: dtype as string, shape: shape as number[], begin, end });
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const tensor of tensors) {
    if (tensor.begin !== expected) {
      const problem =
        tensor.begin < expected ? 'overlaps the previous tensor' : 'leaves a gap after the previous tensor';
      fail(
        'BAD_OFFSETS',
        8,
        tensor.name,
        `data starts at ${tensor.begin} and ${problem} (expected ${expected})`,
      );
    }
    expected = tensor.end;
  }
  if (dataOffset + expected !== source.size)
    fail(
      'BAD_OFFSETS',
      dataOffset,
      'data',
      `tensor data spans ${expected} bytes but the file holds ${source.size - dataOffset} after the header`,
    );
  return { metadata, tensors, dataOffset };
}

/**
 * A source over bytes in memory.
 *
 * @example
 * ```ts
 * parseSafetensors(memorySource(new Uint8Array(await blob.arrayBuffer())));
 * ```
 */
export function memorySource(bytes: Uint8Array): SafetensorsSource {
  return { size: bytes.length, read: (offset, length) => bytes.slice(offset, offset + length) };
}

function withFile<T>(path: string, use: (source: SafetensorsSource) => T): T {
  const descriptor = openSync(path, 'r');
  try {
    const size = fstatSync(descriptor).size;
    return use({
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
    });
  } finally {
    closeSync(descriptor);
  }
}

/**
 * Reads and checks a safetensors header; pickle files are refused with `PickleFileError`.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = readSafetensors('adapter_model.safetensors');
 * ```
 */
export function readSafetensors(path: string): SafetensorsFile {
  return withFile(path, (source) => parseSafetensors(source, path));
}

/**
 * Reads one tensor's bytes by range.
 *
 * @example
 * ```ts
 * const bytes = readSafetensorsTensor('model.safetensors', file, file.tensors[0]);
 * const values = new Float32Array(bytes.buffer); // for an F32 tensor
 * ```
 */
export function readSafetensorsTensor(
  path: string,
  file: SafetensorsFile,
  tensor: SafetensorsTensorInfo,
): Uint8Array {
  return withFile(path, (source) => {
    if (file.dataOffset + tensor.end > source.size)
      fail(
        'TRUNCATED',
        file.dataOffset + tensor.begin,
        tensor.name,
        'tensor data ends past the end of the file',
      );
    return source.read(file.dataOffset + tensor.begin, tensor.end - tensor.begin);
  });
}
