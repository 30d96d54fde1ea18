import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { gguf } from '@huggingface/gguf';
import { quantizeGgml } from '@lm-stack/quantize';
import { afterAll, describe, expect, it } from 'vitest';
import { ggmlParseGguf } from '../../../scripts/ggml-gguf-oracle.js';
import { loadGgmlOracle } from '../../../scripts/ggml-oracle.js';
import {
  GGML_TYPE_INFO,
  GGUF_VALUE_TYPE,
  type GgufValue,
  GgufWriter,
  readGguf,
  readGgufTensorData,
} from './index.js';

const directory = mkdtempSync(join(tmpdir(), 'lm-stack-gguf-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let fileNumber = 0;
const nextPath = () => join(directory, `file-${fileNumber++}.gguf`);

const f32 = fc.float({ noNaN: true });
const scalar = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((value): GgufValue => ({ type: 'u8', value })),
  fc.integer({ min: -128, max: 127 }).map((value): GgufValue => ({ type: 'i8', value })),
  fc.integer({ min: 0, max: 65535 }).map((value): GgufValue => ({ type: 'u16', value })),
  fc.integer({ min: -32768, max: 32767 }).map((value): GgufValue => ({ type: 'i16', value })),
  fc.integer({ min: 0, max: 4294967295 }).map((value): GgufValue => ({ type: 'u32', value })),
  fc.integer({ min: -2147483648, max: 2147483647 }).map((value): GgufValue => ({ type: 'i32', value })),
  f32.map((value): GgufValue => ({ type: 'f32', value })),
  fc.double({ noNaN: true }).map((value): GgufValue => ({ type: 'f64', value })),
  fc.boolean().map((value): GgufValue => ({ type: 'bool', value })),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((value): GgufValue => ({ type: 'string', value })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((value): GgufValue => ({ type: 'u64', value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value): GgufValue => ({ type: 'i64', value })),
);
const array = fc.oneof(
  fc
    .array(fc.integer({ min: -2147483648, max: 2147483647 }), { maxLength: 8 })
    .map((value): GgufValue => ({ type: 'array', itemType: 'i32', value })),
  fc.array(f32, { maxLength: 8 }).map((value): GgufValue => ({ type: 'array', itemType: 'f32', value })),
  fc
    .array(fc.string({ unit: 'grapheme', maxLength: 8 }), { maxLength: 8 })
    .map((value): GgufValue => ({ type: 'array', itemType: 'string', value })),
  fc
    .array(fc.boolean(), { maxLength: 8 })
    .map((value): GgufValue => ({ type: 'array', itemType: 'bool', value })),
  fc
    .array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 8 })
    .map((value): GgufValue => ({ type: 'array', itemType: 'u64', value })),
  fc
    .array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 })
    .map((value): GgufValue => ({ type: 'array', itemType: 'u8', value })),
);
const metadata = fc.uniqueArray(
  fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }), fc.oneof(scalar, array)),
  {
    maxLength: 12,
    selector: ([key]) => key,
  },
);
const tensorSpec = fc.record({
  type: fc.constantFrom('F32', 'F16', 'BF16', 'Q8_0', 'Q4_K'),
  rows: fc.integer({ min: 1, max: 3 }),
  blocks: fc.integer({ min: 1, max: 2 }),
});

function tensorData(
  type: string,
  rows: number,
  columns: number,
  seed: number,
): { data: Float32Array | Uint8Array; bytes: Uint8Array } {
  const values = Float32Array.from({ length: rows * columns }, (_, i) => Math.sin(i * 0.7 + seed));
  if (type === 'F32') return { data: values, bytes: new Uint8Array(values.buffer) };
  if (type === 'F16' || type === 'BF16') return { data: values, bytes: quantizeGgml(type, values) };
  const encoded = quantizeGgml(type as 'Q8_0', values);
  return { data: encoded, bytes: encoded };
}

/** A metadata value as ggml's accessors report it (see scripts/ggml-gguf-verdicts.mjs). */
function asGgml(value: GgufValue): unknown {
  const show = (item: unknown) => {
    if (typeof item === 'bigint') return `${item}n`;
    if (typeof item === 'number' && (!Number.isFinite(item) || Object.is(item, -0)))
      return Object.is(item, -0) ? '-0' : String(item);
    return item;
  };
  if (value.type === 'f32') return show(Math.fround(value.value));
  if (value.type === 'array') {
    return {
      item: GGUF_VALUE_TYPE[value.itemType],
      items: value.value.map((item) => show(value.itemType === 'f32' ? Math.fround(item as number) : item)),
    };
  }
  return show(value.value);
}

describe('GGUF round trip', () => {
  test.prop([metadata, fc.array(tensorSpec, { maxLength: 4 }), fc.constantFrom(32, 64, 256)], {
    numRuns: 25,
  })(
    'write → our reader, @huggingface/gguf and ggml read the same keys, values and tensors',
    async (entries, specs, alignment) => {
      const path = nextPath();
      const writer = new GgufWriter(path, { alignment });
      for (const [key, value] of entries) if (key !== 'general.alignment') writer.setMetadata(key, value);
      const tensors = specs.map((spec, i) => {
        const columns = spec.blocks * GGML_TYPE_INFO.find((info) => info.name === spec.type)!.blockSize;
        return { name: `blk.${i}.weight`, ...spec, columns, ...tensorData(spec.type, spec.rows, columns, i) };
      });
      for (const tensor of tensors)
        writer.declareTensor(tensor.name, { shape: [tensor.rows, tensor.columns], type: tensor.type });
      for (const tensor of tensors) await writer.writeTensor(tensor.name, tensor.data);
      await writer.finish();

      const file = await readGguf(path);
      // The writer records general.alignment first (it is known at construction).
      const expected = new Map<string, GgufValue>(
        alignment !== 32 ? [['general.alignment', { type: 'u32', value: alignment }]] : [],
      );
      for (const [key, value] of entries) if (key !== 'general.alignment') expected.set(key, value);
      expect(new Map([...file.metadata].map(([key, value]) => [key, normalize(value)]))).toEqual(
        new Map([...expected].map(([key, value]) => [key, normalize(value)])),
      );
      for (const [i, tensor] of tensors.entries()) {
        const info = file.tensors[i]!;
        expect([info.name, info.type, info.dims]).toEqual([
          tensor.name,
          tensor.type,
          [tensor.columns, tensor.rows],
        ]);
        expect(await readGgufTensorData(path, file, info)).toEqual(tensor.bytes);
      }

      const hf = await gguf(path, { allowLocalFile: true, typedMetadata: true });
      expect(
        hf.tensorInfos.map((info) => [info.name, info.shape.map(Number), info.dtype, Number(info.offset)]),
      ).toEqual(file.tensors.map((info) => [info.name, info.dims, info.typeId, info.offset]));
      for (const [key, value] of expected) {
        // @huggingface/gguf keeps metadata in a plain object, where a key named __proto__ cannot live.
        if (key === '__proto__') continue;
        const typed = Object.getOwnPropertyDescriptor(hf.typedMetadata, key)?.value as {
          type: number;
          subType?: number;
          value: unknown;
        };
        expect([key, typed.type, typed.subType]).toEqual([
          key,
          GGUF_VALUE_TYPE[value.type],
          value.type === 'array' ? GGUF_VALUE_TYPE[value.itemType] : undefined,
        ]);
        expect(typed.value).toEqual((normalize(value) as { value: unknown }).value);
      }

      if (loadGgmlOracle()) {
        const [ggml] = ggmlParseGguf([path], true);
        expect(ggml!.ok).toBe(true);
        expect(ggml!.kv).toEqual(
          [...expected].map(([key, value]) => [key, GGUF_VALUE_TYPE[value.type], asGgml(value)]),
        );
        expect(ggml!.tensors).toEqual(file.tensors.map((info) => [info.name, info.typeId, info.offset]));
        expect(ggml!.dataOffset).toBe(file.dataOffset);
      }
    },
  );

  it('carries ±Infinity, NaN and -0 through all three parsers (found by CI: JSON turned Infinity into null)', async () => {
    const path = nextPath();
    const writer = new GgufWriter(path);
    const special = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -0];
    writer.setMetadata('x.f32', { type: 'f32', value: Number.POSITIVE_INFINITY });
    writer.setMetadata('x.f64', { type: 'f64', value: -0 });
    writer.setMetadata('x.f32s', { type: 'array', itemType: 'f32', value: special });
    writer.setMetadata('x.f64s', { type: 'array', itemType: 'f64', value: special });
    await writer.finish();
    const file = await readGguf(path);
    expect(file.metadata.get('x.f32s')).toEqual({ type: 'array', itemType: 'f32', value: special });
    expect(Object.is((file.metadata.get('x.f64') as { value: number }).value, -0)).toBe(true);
    const hf = await gguf(path, { allowLocalFile: true, typedMetadata: true });
    expect((hf.typedMetadata['x.f64s'] as { value: unknown }).value).toEqual(special);
    if (loadGgmlOracle()) {
      const [ggml] = ggmlParseGguf([path], true);
      expect(ggml!.kv!.map(([, , value]) => value)).toEqual([
        'Infinity',
        '-0',
        { item: 6, items: ['Infinity', '-Infinity', 'NaN', '-0'] },
        { item: 12, items: ['Infinity', '-Infinity', 'NaN', '-0'] },
      ]);
    }
  });

  it('has ggml sizes for every type id', () => {
    const ggml = loadGgmlOracle();
    if (!ggml) return;
    for (const name of ['F32', 'F16', 'Q4_0', 'Q8_0', 'Q2_K', 'Q6_K', 'BF16'] as const) {
      const info = GGML_TYPE_INFO.find((candidate) => candidate.name === name)!;
      expect([name, info.blockSize, info.typeSize]).toEqual([
        name,
        ggml.blockSize(name),
        ggml.typeSize(name),
      ]);
    }
  });
});

/** f32 values compare after rounding to float32, as they are stored. */
function normalize(value: GgufValue): unknown {
  if (value.type === 'f32') return { type: 'f32', value: Math.fround(value.value) };
  if (value.type === 'array' && value.itemType === 'f32')
    return { ...value, value: value.value.map((item) => Math.fround(item as number)) };
  return value;
}
