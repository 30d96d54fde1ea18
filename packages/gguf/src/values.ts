import { GgufWriteError } from './errors.js';

/** GGUF `gguf_type` codes (ggml/include/gguf.h). */
export const GGUF_VALUE_TYPE = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const;

/** A GGUF scalar type name. */
export type GgufScalarType = Exclude<keyof typeof GGUF_VALUE_TYPE, 'array'>;

/**
 * A metadata value with its GGUF type spelled out: llama.cpp rejects a key stored with another type than
 * it expects, so the writer never guesses. 64-bit integers are `bigint`.
 *
 * @example
 * ```ts
 * const value: GgufValue = { type: 'u32', value: 4096 };
 * const tokens: GgufValue = { type: 'array', itemType: 'string', value: ['<s>', 'a'] };
 * ```
 */
export type GgufValue =
  | { readonly type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; readonly value: number }
  | { readonly type: 'u64' | 'i64'; readonly value: bigint }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | {
      readonly type: 'array';
      readonly itemType: GgufScalarType;
      readonly value: readonly number[] | readonly bigint[] | readonly boolean[] | readonly string[];
    };

/** Fixed byte sizes of the scalar types (strings are 8 + length). */
export const SCALAR_SIZE: Readonly<Record<Exclude<GgufScalarType, 'string'>, number>> = {
  u8: 1,
  i8: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  bool: 1,
  u64: 8,
  i64: 8,
  f64: 8,
};

const INTEGER_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  u8: [0, 255],
  i8: [-128, 127],
  u16: [0, 65535],
  i16: [-32768, 32767],
  u32: [0, 4294967295],
  i32: [-2147483648, 2147483647],
};

const encoder = new TextEncoder();

function checkScalar(type: GgufScalarType, value: unknown, subject: string): void {
  const fail = (problem: string) => {
    throw new GgufWriteError('metadata', subject, problem);
  };
  const range = INTEGER_RANGE[type];
  if (range) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1])
      fail(`${type} value ${String(value)} is out of range [${range[0]}, ${range[1]}]`);
  } else if (type === 'u64' || type === 'i64') {
    const [low, high] = type === 'u64' ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
    if (typeof value !== 'bigint' || value < low || value > high)
      fail(`${type} value ${String(value)} must be a bigint in [${low}, ${high}]`);
  } else if (type === 'f32' || type === 'f64') {
    if (typeof value !== 'number') fail(`${type} value ${String(value)} is not a number`);
  } else if (type === 'bool') {
    if (typeof value !== 'boolean') fail(`bool value ${String(value)} is not a boolean`);
  } else if (typeof value !== 'string' || !value.isWellFormed()) {
    fail('string value must be a well-formed string (no lone surrogates)');
  }
}

/** Throws `GgufWriteError` unless `value` matches its declared type. */
export function checkValue(value: GgufValue, subject: string): void {
  if (value.type === 'array') {
    if (!Object.hasOwn(SCALAR_SIZE, value.itemType) && value.itemType !== 'string')
      throw new GgufWriteError(
        'metadata',
        subject,
        `array item type ${String(value.itemType)} is not a scalar GGUF type`,
      );
    for (const item of value.value) checkScalar(value.itemType, item, subject);
    return;
  }
  if (!Object.hasOwn(GGUF_VALUE_TYPE, value.type))
    throw new GgufWriteError('metadata', subject, `unknown GGUF type ${String(value.type)}`);
  checkScalar(value.type, value.value, subject);
}

/** Little-endian writer into a growable byte buffer, for the header section. */
export class ByteSink {
  private bytes = new Uint8Array(4096);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.reserve(1);
    this.view.setUint8(this.length++, value);
  }
  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }
  u64(value: bigint | number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(value), true);
    this.length += 8;
  }
  string(value: string): void {
    const encoded = encoder.encode(value);
    this.u64(encoded.length);
    this.reserve(encoded.length);
    this.bytes.set(encoded, this.length);
    this.length += encoded.length;
  }
  scalar(type: GgufScalarType, value: unknown): void {
    const size = type === 'string' ? 0 : SCALAR_SIZE[type];
    this.reserve(size);
    const at = this.length;
    switch (type) {
      case 'u8':
        this.view.setUint8(at, value as number);
        break;
      case 'i8':
        this.view.setInt8(at, value as number);
        break;
      case 'u16':
        this.view.setUint16(at, value as number, true);
        break;
      case 'i16':
        this.view.setInt16(at, value as number, true);
        break;
      case 'u32':
        this.view.setUint32(at, value as number, true);
        break;
      case 'i32':
        this.view.setInt32(at, value as number, true);
        break;
      case 'f32':
        this.view.setFloat32(at, value as number, true);
        break;
      case 'f64':
        this.view.setFloat64(at, value as number, true);
        break;
      case 'bool':
        this.view.setUint8(at, value ? 1 : 0);
        break;
      case 'u64':
        this.view.setBigUint64(at, value as bigint, true);
        break;
      case 'i64':
        this.view.setBigInt64(at, value as bigint, true);
        break;
      case 'string':
        this.string(value as string);
        return;
    }
    this.length += size;
  }
  value(value: GgufValue): void {
    this.u32(GGUF_VALUE_TYPE[value.type]);
    if (value.type !== 'array') {
      this.scalar(value.type, value.value);
      return;
    }
    this.u32(GGUF_VALUE_TYPE[value.itemType]);
    this.u64(value.value.length);
    for (const item of value.value) this.scalar(value.itemType, item);
  }
  padTo(alignment: number): void {
    const padding = (alignment - (this.length % alignment)) % alignment;
    this.reserve(padding);
    this.bytes.fill(0, this.length, this.length + padding);
    this.length += padding;
  }
  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}
