import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DTYPE_SIZE,
  memorySource,
  PickleFileError,
  parseSafetensors,
  readSafetensors,
  readSafetensorsTensor,
  type SafetensorsDtype,
  SafetensorsError,
  type SafetensorsErrorCode,
  SafetensorsWriteError,
  SafetensorsWriter,
} from './index.js';

const directory = mkdtempSync(join(tmpdir(), 'lm-stack-safetensors-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let fileNumber = 0;

/** A file from a header given as JSON text (any text, valid or not) and `dataBytes` bytes of data. */
function craft(header: string, dataBytes = 0, lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({
  dtype: 'F32',
  shape,
  data_offsets: [begin, end],
});
const VALID = craft(JSON.stringify({ __metadata__: { format: 'pt' }, a: f32(0, 16), b: f32(16, 24) }), 24);

const HOSTILE: Array<[string, Uint8Array, SafetensorsErrorCode]> = [
  ['shorter than 8 bytes', new Uint8Array(5), 'TRUNCATED'],
  ['header length 2^64-1', craft('{}', 0, 2n ** 64n - 1n), 'HEADER_TOO_LARGE'],
  ['header length 200 MB', craft('{}', 0, 200_000_000n), 'HEADER_TOO_LARGE'],
  ['header length past the file', craft('{}', 0, 1000n), 'TRUNCATED'],
  ['not JSON', craft('{"a": '), 'BAD_JSON'],
  ['not UTF-8', Uint8Array.of(5, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x22, 0xff, 0x22, 0x7d), 'BAD_JSON'],
  ['header is an array', craft('[]'), 'BAD_JSON'],
  [
    'duplicate tensor key',
    craft(`{"a": ${JSON.stringify(f32(0, 4))}, "a": ${JSON.stringify(f32(0, 4))}}`, 4),
    'DUPLICATE_KEY',
  ],
  [
    'duplicate field inside an entry',
    craft('{"a": {"dtype": "F32", "dtype": "I32", "shape": [1], "data_offsets": [0, 4]}}', 4),
    'DUPLICATE_KEY',
  ],
  ['metadata value not a string', craft('{"__metadata__": {"n": 1}}'), 'BAD_METADATA'],
  ['entry without data_offsets', craft('{"a": {"dtype": "F32", "shape": [1]}}'), 'BAD_ENTRY'],
  [
    'entry with an extra field',
    craft('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}}', 4),
    'BAD_ENTRY',
  ],
  [
    'unknown dtype',
    craft('{"a": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}}', 4),
    'UNKNOWN_DTYPE',
  ],
  [
    'negative dimension',
    craft('{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}', 4),
    'BAD_SHAPE',
  ],
  [
    'fractional dimension',
    craft('{"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}', 4),
    'BAD_SHAPE',
  ],
  [
    'wrong dtype size',
    craft('{"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 8]}}', 8),
    'SIZE_MISMATCH',
  ],
  [
    'huge shape',
    craft('{"a": {"dtype": "F32", "shape": [1099511627776, 1099511627776], "data_offsets": [0, 4]}}', 4),
    'SIZE_MISMATCH',
  ],
  ['overlapping offsets', craft(JSON.stringify({ a: f32(0, 8), b: f32(4, 12) }), 12), 'BAD_OFFSETS'],
  ['gap between tensors', craft(JSON.stringify({ a: f32(0, 8), b: f32(12, 16) }), 16), 'BAD_OFFSETS'],
  ['not starting at 0', craft(JSON.stringify({ a: f32(4, 8) }), 8), 'BAD_OFFSETS'],
  ['data past the end', craft(JSON.stringify({ a: f32(0, 16) }), 8), 'BAD_OFFSETS'],
  ['trailing bytes', craft(JSON.stringify({ a: f32(0, 8) }), 12), 'BAD_OFFSETS'],
  [
    'begin after end',
    craft('{"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}}', 8),
    'BAD_OFFSETS',
  ],
];

function codeOf(bytes: Uint8Array): string {
  try {
    parseSafetensors(memorySource(bytes));
    return 'ok';
  } catch (error) {
    if (error instanceof SafetensorsError) return error.code;
    if (error instanceof PickleFileError) return 'PICKLE';
    throw error;
  }
}

describe('safetensors reader', () => {
  it('reads a valid file', () => {
    const file = parseSafetensors(memorySource(VALID));
    expect(file.metadata).toEqual(new Map([['format', 'pt']]));
    expect(file.tensors.map((tensor) => [tensor.name, tensor.shape, tensor.begin, tensor.end])).toEqual([
      ['a', [4], 0, 16],
      ['b', [2], 16, 24],
    ]);
  });

  it.each(HOSTILE)('%s → %s', (_, bytes, code) => {
    expect(codeOf(bytes)).toBe(code);
  });

  it('refuses pickle and PyTorch zip checkpoints by their magic bytes', () => {
    const zip = join(directory, 'pytorch_model.bin');
    writeFileSync(zip, Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0]));
    expect(() => readSafetensors(zip)).toThrow(/PyTorch zip checkpoint, which can run arbitrary code/);
    expect(codeOf(Uint8Array.from([0x80, 0x02, 0x7d, 0x71, 0, 0, 0, 0, 0]))).toBe('PICKLE');
  });

  it('rejects every prefix of a valid file with a SafetensorsError', () => {
    for (let length = 0; length < VALID.length; length++)
      expect([length, codeOf(VALID.subarray(0, length)) !== 'ok']).toEqual([length, true]);
  });

  test.prop([fc.array(fc.tuple(fc.nat(VALID.length - 1), fc.nat(255)), { minLength: 1, maxLength: 6 })], {
    numRuns: 3000,
  })('byte-flipped files only raise SafetensorsError or PickleFileError', (flips) => {
    const bytes = VALID.slice();
    for (const [at, value] of flips) bytes[at] = value;
    expect(() => codeOf(bytes)).not.toThrow();
  });
});

const dtypes = [...DTYPE_SIZE.keys()] as SafetensorsDtype[];
const tensorSpec = fc.record({
  name: fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
    fc.constantFrom('__proto__', 'constructor', 'toString'),
  ),
  dtype: fc.constantFrom(...dtypes),
  shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
});

describe('SafetensorsWriter', () => {
  test.prop(
    [
      fc.uniqueArray(tensorSpec, { maxLength: 6, selector: (spec) => spec.name }),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
    ],
    {
      numRuns: 40,
    },
  )('round-trips tensors (names like __proto__ included) and metadata', async (specs, metadata) => {
    const tensors = specs.filter((spec) => spec.name !== '__metadata__');
    const path = join(directory, `round-${fileNumber++}.safetensors`);
    const writer = new SafetensorsWriter(path);
    for (const [key, value] of Object.entries(metadata)) writer.setMetadata(key, value);
    const data = tensors.map((spec) => {
      const length = spec.shape.reduce((total, size) => total * size, DTYPE_SIZE.get(spec.dtype)!);
      return Uint8Array.from({ length }, (_, i) => (i * 7 + spec.name.length) & 0xff);
    });
    for (const spec of tensors) writer.declareTensor(spec.name, spec);
    for (const [i, spec] of tensors.entries()) await writer.writeTensor(spec.name, data[i]!);
    await writer.finish();
    const file = readSafetensors(path);
    expect(file.metadata).toEqual(new Map(Object.entries(metadata)));
    expect(file.tensors.map((tensor) => [tensor.name, tensor.dtype, tensor.shape])).toEqual(
      tensors.map((spec) => [spec.name, spec.dtype, spec.shape]),
    );
    for (const [i, tensor] of file.tensors.entries())
      expect(readSafetensorsTensor(path, file, tensor)).toEqual(data[i]);
  });

  it('refuses bad declarations and writes the file only on finish', async () => {
    const path = join(directory, 'atomic.safetensors');
    const writer = new SafetensorsWriter(path);
    writer.declareTensor('w', { dtype: 'F32', shape: [2, 2] });
    expect(() => writer.declareTensor('w', { dtype: 'F32', shape: [1] })).toThrow(/duplicate tensor name/);
    expect(() => writer.declareTensor('x', { dtype: 'F33' as SafetensorsDtype, shape: [1] })).toThrow(
      SafetensorsWriteError,
    );
    expect(() => writer.declareTensor('y', { dtype: 'F32', shape: [-1] })).toThrow(/non-negative integers/);
    await expect(writer.writeTensor('w', new Float32Array(3))).rejects.toThrow(
      'F32[2, 2] needs 16 bytes, got 12',
    );
    await writer.writeTensor('w', new Float32Array(4));
    expect(existsSync(path)).toBe(false);
    await writer.abort();
    expect(readdirSync(directory).filter((name) => name.startsWith('atomic'))).toEqual([]);
  });
});
