import { type ByteSource, fileSource } from './byte-source.js';
import { GgufError, type GgufErrorCode } from './errors.js';
import { GGML_TYPE_INFO } from './ggml-type-table.js';
import { GGUF_VALUE_TYPE, type GgufScalarType, type GgufValue, SCALAR_SIZE } from './values.js';

/** Limits on what a file may declare; each is checked before anything is allocated. */
export interface GgufLimits {
  readonly maxTensors: number;
  readonly maxMetadata: number;
  /** Longest string (key or value), in bytes. */
  readonly maxStringBytes: number;
  readonly maxArrayLength: number;
}

/** Defaults: far above real models (a 405B model has ~1,100 tensors; vocabularies ~260k strings). */
export const DEFAULT_GGUF_LIMITS: GgufLimits = {
  maxTensors: 1_000_000,
  maxMetadata: 1_000_000,
  maxStringBytes: 64 * 1024 * 1024,
  maxArrayLength: 100_000_000,
};

/** One tensor as the file describes it. */
export interface GgufTensorInfo {
  readonly name: string;
  /** ggml order: `dims[0]` is the fastest-varying (row length). */
  readonly dims: number[];
  /** ggml type name (`'Q4_K'`, …). */
  readonly type: string;
  readonly typeId: number;
  /** Byte offset relative to the data section. */
  readonly offset: number;
  readonly byteLength: number;
}

/** A parsed GGUF header. Tensor data stays in the file; read it with {@link readGgufTensorData}. */
export interface GgufFile {
  readonly version: number;
  /** Keys in file order; values with their types. */
  readonly metadata: Map<string, GgufValue>;
  readonly tensors: GgufTensorInfo[];
  /** Absolute byte offset of the data section. */
  readonly dataOffset: number;
  readonly alignment: number;
}

const TYPE_NAMES = new Map<number, keyof typeof GGUF_VALUE_TYPE>(
  Object.entries(GGUF_VALUE_TYPE).map(([name, code]) => [code, name as keyof typeof GGUF_VALUE_TYPE]),
);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const WINDOW = 1 << 20;

/** Reads little-endian fields through a window over the source, never past its end. */
class Cursor {
  position = 0;
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;
  constructor(private readonly source: ByteSource) {}

  fail(code: GgufErrorCode, at: number, field: string, problem: string): never {
    throw new GgufError(code, at, field, problem);
  }

  get remaining(): number {
    return this.source.size - this.position;
  }

  bytes(length: number, field: string): Uint8Array {
    if (length > this.remaining)
      this.fail(
        'TRUNCATED',
        this.position,
        field,
        `${length} bytes needed, ${this.remaining} left in the ${this.source.size}-byte file`,
      );
    const start = this.position - this.windowStart;
    if (start < 0 || start + length > this.window.length) {
      this.windowStart = this.position;
      this.window = this.source.read(
        this.position,
        Math.min(Math.max(WINDOW, length), this.source.size - this.position),
      );
    }
    const offset = this.position - this.windowStart;
    this.position += length;
    return this.window.subarray(offset, offset + length);
  }

  private view(length: number, field: string): DataView {
    const bytes = this.bytes(length, field);
    return new DataView(bytes.buffer, bytes.byteOffset, length);
  }
  u32(field: string): number {
    return this.view(4, field).getUint32(0, true);
  }
  u64(field: string): bigint {
    return this.view(8, field).getBigUint64(0, true);
  }
  /** A u64 count, refused above `limit` or above what the bytes left could hold (`minBytesEach`). */
  count(field: string, limit: number, minBytesEach: number, what: string): number {
    const at = this.position;
    const value = this.u64(field);
    if (value > BigInt(limit))
      this.fail(
        'LIMIT_EXCEEDED',
        at,
        field,
        `${what} ${describe(value)} exceeds ${limit.toLocaleString('en-US')}`,
      );
    const count = Number(value);
    if (count * minBytesEach > this.remaining)
      this.fail(
        'TRUNCATED',
        at,
        field,
        `${what} ${count} needs at least ${count * minBytesEach} bytes, ${this.remaining} left`,
      );
    return count;
  }
  string(field: string, limits: GgufLimits): string {
    const at = this.position;
    const length = this.count(field, limits.maxStringBytes, 1, 'string length');
    try {
      return strictUtf8.decode(this.bytes(length, field));
    } catch (error) {
      if (error instanceof GgufError) throw error;
      return this.fail('BAD_STRING', at, field, 'string is not valid UTF-8');
    }
  }
  scalar(type: GgufScalarType, field: string, limits: GgufLimits): number | bigint | boolean | string {
    if (type === 'string') return this.string(field, limits);
    const view = this.view(SCALAR_SIZE[type], field);
    switch (type) {
      case 'u8':
        return view.getUint8(0);
      case 'i8':
        return view.getInt8(0);
      case 'u16':
        return view.getUint16(0, true);
      case 'i16':
        return view.getInt16(0, true);
      case 'u32':
        return view.getUint32(0, true);
      case 'i32':
        return view.getInt32(0, true);
      case 'f32':
        return view.getFloat32(0, true);
      case 'f64':
        return view.getFloat64(0, true);
      case 'bool':
        return view.getUint8(0) !== 0;
      case 'u64':
        return view.getBigUint64(0, true);
      case 'i64':
        return view.getBigInt64(0, true);
    }
  }
}

function describe(value: bigint): string {
  for (let power = 64; power >= 32; power--)
    if (value === 2n ** BigInt(power) || value === 2n ** BigInt(power) - 1n)
      return value === 2n ** BigInt(power) ? `2^${power}` : `2^${power}-1`;
  return value.toLocaleString('en-US');
}

function valueType(cursor: Cursor, field: string): keyof typeof GGUF_VALUE_TYPE {
  const at = cursor.position;
  const code = cursor.u32(field);
  const name = TYPE_NAMES.get(code);
  if (name === undefined)
    cursor.fail('BAD_VALUE_TYPE', at, field, `value type ${code} is not a GGUF type (0–12)`);
  return name;
}

function readValue(cursor: Cursor, key: string, limits: GgufLimits): GgufValue {
  const type = valueType(cursor, `${key}.type`);
  if (type !== 'array') return { type, value: cursor.scalar(type, key, limits) } as GgufValue;
  const itemAt = cursor.position;
  const itemType = valueType(cursor, `${key}.item_type`);
  if (itemType === 'array')
    cursor.fail('NESTED_ARRAY', itemAt, `${key}.item_type`, 'arrays of arrays are not allowed');
  const length = cursor.count(
    `${key}.length`,
    limits.maxArrayLength,
    itemType === 'string' ? 8 : SCALAR_SIZE[itemType],
    'array length',
  );
  const items: Array<number | bigint | boolean | string> = new Array(length);
  for (let i = 0; i < length; i++) items[i] = cursor.scalar(itemType, `${key}[${i}]`, limits);
  return { type: 'array', itemType, value: items } as GgufValue;
}

/**
 * Parses a GGUF header from any byte source, following llama.cpp's loader checks (gguf.cpp): magic,
 * version 2 or 3, counts and lengths within limits and within the bytes left, no nested arrays, unique
 * non-empty keys, `general.alignment` a u32 power of two, unique tensor names under 64 bytes, at most 4
 * dimensions with no overflow, known types with rows of whole blocks, contiguous padded offsets, and data
 * inside the file. Throws only `GgufError`.
 *
 * @example
 * ```ts
 * const file = parseGguf(bufferSource(bytes));
 * ```
 */
export function parseGguf(source: ByteSource, limits: GgufLimits = DEFAULT_GGUF_LIMITS): GgufFile {
  const cursor = new Cursor(source);
  const magic = cursor.bytes(4, 'magic');
  if (magic[0] !== 0x47 || magic[1] !== 0x47 || magic[2] !== 0x55 || magic[3] !== 0x46)
    cursor.fail(
      'BAD_MAGIC',
      0,
      'magic',
      `magic ${Array.from(magic, (byte) => byte.toString(16).padStart(2, '0')).join(' ')} is not "GGUF"`,
    );
  const version = cursor.u32('version');
  if (version !== 2 && version !== 3) {
    const swapped = (version & 0xffff) === 0 ? ' (a big-endian file?)' : '';
    cursor.fail(
      'UNSUPPORTED_VERSION',
      4,
      'version',
      `version ${version} is not supported (2 or 3)${swapped}`,
    );
  }
  // A tensor info takes at least 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset) bytes; a key-value pair 8 + 4 + 1.
  const tensorCount = cursor.count('tensor_count', limits.maxTensors, 24, 'tensor count');
  const metadataCount = cursor.count('metadata_kv_count', limits.maxMetadata, 13, 'metadata count');

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < metadataCount; i++) {
    const at = cursor.position;
    const key = cursor.string(`metadata[${i}].key`, limits);
    if (key.length === 0) cursor.fail('EMPTY_KEY', at, `metadata[${i}].key`, 'metadata key is empty');
    if (metadata.has(key))
      cursor.fail('DUPLICATE_KEY', at, key, `metadata key ${JSON.stringify(key)} appears twice`);
    const valueAt = cursor.position;
    const value = readValue(cursor, key, limits);
    if (key === 'general.alignment') {
      const alignment = value.type === 'u32' ? value.value : 0;
      if (value.type !== 'u32' || alignment === 0 || (alignment & (alignment - 1)) !== 0)
        cursor.fail(
          'BAD_ALIGNMENT',
          valueAt,
          key,
          `general.alignment must be a u32 power of two, got ${value.type} ${String(value.value)}`,
        );
    }
    metadata.set(key, value);
  }
  const alignmentValue = metadata.get('general.alignment');
  const alignment = alignmentValue?.type === 'u32' ? alignmentValue.value : 32;

  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  let expectedOffset = 0;
  for (let i = 0; i < tensorCount; i++) {
    const field = `tensors[${i}]`;
    const at = cursor.position;
    const name = cursor.string(`${field}.name`, limits);
    // the name's UTF-8 length is what the cursor just consumed after its u64 length prefix
    if (cursor.position - at - 8 >= 64)
      cursor.fail(
        'BAD_TENSOR_NAME',
        at,
        `${field}.name`,
        `tensor name of ${name.length} characters reaches ggml's 64-byte limit`,
      );
    if (names.has(name))
      cursor.fail('DUPLICATE_TENSOR', at, name, `tensor name ${JSON.stringify(name)} appears twice`);
    names.add(name);
    const dimsAt = cursor.position;
    const dimCount = cursor.u32(`${name}.n_dims`);
    if (dimCount > 4)
      cursor.fail('BAD_DIMENSIONS', dimsAt, `${name}.n_dims`, `${dimCount} dimensions exceed ggml's 4`);
    const dims: number[] = [];
    let elements = 1n;
    for (let d = 0; d < dimCount; d++) {
      const dimAt = cursor.position;
      const size = cursor.u64(`${name}.ne[${d}]`);
      if (size > 2n ** 63n - 1n)
        cursor.fail(
          'BAD_DIMENSIONS',
          dimAt,
          `${name}.ne[${d}]`,
          `dimension ${describe(size)} is negative as int64`,
        );
      elements *= size;
      if (elements > 2n ** 63n - 1n)
        cursor.fail('ELEMENT_OVERFLOW', dimAt, `${name}.ne[${d}]`, `element count overflows int64`);
      dims.push(Number(size));
    }
    const typeAt = cursor.position;
    const typeId = cursor.u32(`${name}.type`);
    const found = GGML_TYPE_INFO[typeId];
    if (found === undefined || found.blockSize === 0)
      cursor.fail(
        'BAD_TENSOR_TYPE',
        typeAt,
        `${name}.type`,
        `ggml type ${typeId} is unknown or removed (GGML_TYPE_COUNT = ${GGML_TYPE_INFO.length})`,
      );
    const info = found!;
    const rowLength = BigInt(dims[0] ?? 1);
    if (rowLength % BigInt(info.blockSize) !== 0n)
      cursor.fail(
        'BAD_DIMENSIONS',
        dimsAt,
        `${name}.ne[0]`,
        `row length ${rowLength} is not a multiple of ${info.name}'s block of ${info.blockSize}`,
      );
    const byteLength = (elements / BigInt(info.blockSize)) * BigInt(info.typeSize);
    const offsetAt = cursor.position;
    const offset = cursor.u64(`${name}.offset`);
    if (offset !== BigInt(expectedOffset))
      cursor.fail(
        'BAD_OFFSET',
        offsetAt,
        `${name}.offset`,
        `tensor data offset ${offset} is not the expected ${expectedOffset} (contiguous, padded to ${alignment})`,
      );
    if (byteLength > BigInt(source.size))
      cursor.fail(
        'DATA_OUT_OF_FILE',
        offsetAt,
        `${name}.offset`,
        `tensor data of ${byteLength} bytes exceeds the ${source.size}-byte file`,
      );
    tensors.push({
      name,
      dims,
      type: info.name,
      typeId,
      offset: expectedOffset,
      byteLength: Number(byteLength),
    });
    expectedOffset += Number(byteLength) + ((alignment - (Number(byteLength) % alignment)) % alignment);
  }
  // gguf.cpp seeks to the padded data section only when there are tensors; otherwise it starts right here.
  const dataOffset =
    tensors.length === 0
      ? cursor.position
      : cursor.position + ((alignment - (cursor.position % alignment)) % alignment);
  const lastEnd =
    tensors.length === 0 ? 0 : tensors[tensors.length - 1]!.offset + tensors[tensors.length - 1]!.byteLength;
  if (tensors.length > 0 && dataOffset + lastEnd > source.size)
    cursor.fail(
      'DATA_OUT_OF_FILE',
      dataOffset,
      'data',
      `tensor data ends at byte ${dataOffset + lastEnd}, past the ${source.size}-byte file`,
    );
  return { version, metadata, tensors, dataOffset, alignment };
}

/**
 * Reads and checks the header of a GGUF file; tensor data is not loaded.
 *
 * @example
 * ```ts
 * const { metadata, tensors } = await readGguf('model.gguf');
 * metadata.get('general.architecture'); // { type: 'string', value: 'llama' }
 * ```
 */
export async function readGguf(path: string, limits: GgufLimits = DEFAULT_GGUF_LIMITS): Promise<GgufFile> {
  const source = fileSource(path);
  try {
    return parseGguf(source, limits);
  } finally {
    source.close();
  }
}

/**
 * Reads one tensor's bytes from a file by range.
 *
 * @example
 * ```ts
 * const bytes = await readGgufTensorData('model.gguf', file, file.tensors[0]);
 * ```
 */
export async function readGgufTensorData(
  path: string,
  file: GgufFile,
  tensor: GgufTensorInfo,
): Promise<Uint8Array> {
  const source = fileSource(path);
  try {
    const start = file.dataOffset + tensor.offset;
    if (start + tensor.byteLength > source.size)
      throw new GgufError(
        'DATA_OUT_OF_FILE',
        start,
        tensor.name,
        `tensor data ends past the ${source.size}-byte file`,
      );
    return source.read(start, tensor.byteLength);
  } finally {
    source.close();
  }
}
