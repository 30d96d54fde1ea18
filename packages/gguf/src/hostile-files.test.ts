import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ggmlParseGguf } from '../../../scripts/ggml-gguf-oracle.js';
import { loadGgmlOracle } from '../../../scripts/ggml-oracle.js';
import { bufferSource, GgufError, type GgufErrorCode, parseGguf } from './index.js';
import { craftGguf } from './test-files.js';

const directory = mkdtempSync(join(tmpdir(), 'lm-stack-gguf-hostile-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const f32Tensor = (name: string, offset: number | bigint = 0) => ({ name, ne: [8, 2], type: 0, offset });
const valid = craftGguf({
  metadata: [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['x.tokens', { type: 'array', itemType: 'string', value: ['a', 'bc'] }],
  ],
  tensors: [f32Tensor('a'), f32Tensor('b', 64)],
  dataBytes: 128,
});

/** Each rule of the loader, broken on purpose: the code our reader must raise. */
const HOSTILE: Array<[string, Uint8Array, GgufErrorCode]> = [
  ['bad magic', craftGguf({ magic: [0x47, 0x47, 0x4d, 0x4c] }), 'BAD_MAGIC'],
  ['version 1', craftGguf({ version: 1 }), 'UNSUPPORTED_VERSION'],
  ['byte-swapped version', craftGguf({ version: 0x03000000 }), 'UNSUPPORTED_VERSION'],
  ['tensor count 2^63', craftGguf({ tensorCount: 2n ** 63n }), 'LIMIT_EXCEEDED'],
  ['metadata count 2^64-1', craftGguf({ metadataCount: 2n ** 64n - 1n }), 'LIMIT_EXCEEDED'],
  ['metadata count beyond the file', craftGguf({ metadataCount: 1000 }), 'TRUNCATED'],
  [
    'string length 2^64-1',
    craftGguf({
      metadata: [
        [
          'k',
          (sink) => {
            sink.u32(8);
            sink.u64(2n ** 64n - 1n);
          },
        ],
      ],
    }),
    'LIMIT_EXCEEDED',
  ],
  [
    'string past the end',
    craftGguf({
      metadata: [
        [
          'k',
          (sink) => {
            sink.u32(8);
            sink.u64(100);
          },
        ],
      ],
    }),
    'TRUNCATED',
  ],
  ['value type 13', craftGguf({ metadata: [['k', (sink) => sink.u32(13)]] }), 'BAD_VALUE_TYPE'],
  [
    'array of arrays',
    craftGguf({
      metadata: [
        [
          'k',
          (sink) => {
            sink.u32(9);
            sink.u32(9);
            sink.u64(1);
          },
        ],
      ],
    }),
    'NESTED_ARRAY',
  ],
  [
    'array length 2^62',
    craftGguf({
      metadata: [
        [
          'k',
          (sink) => {
            sink.u32(9);
            sink.u32(0);
            sink.u64(2n ** 62n);
          },
        ],
      ],
    }),
    'LIMIT_EXCEEDED',
  ],
  [
    'array past the end',
    craftGguf({
      metadata: [
        [
          'k',
          (sink) => {
            sink.u32(9);
            sink.u32(5);
            sink.u64(1000);
          },
        ],
      ],
    }),
    'TRUNCATED',
  ],
  ['empty key', craftGguf({ metadata: [['', { type: 'u8', value: 1 }]] }), 'EMPTY_KEY'],
  [
    'duplicate key',
    craftGguf({
      metadata: [
        ['k', { type: 'u8', value: 1 }],
        ['k', { type: 'u8', value: 2 }],
      ],
    }),
    'DUPLICATE_KEY',
  ],
  [
    'alignment as u64',
    craftGguf({ metadata: [['general.alignment', { type: 'u64', value: 32n }]] }),
    'BAD_ALIGNMENT',
  ],
  [
    'alignment 0',
    craftGguf({ metadata: [['general.alignment', { type: 'u32', value: 0 }]] }),
    'BAD_ALIGNMENT',
  ],
  [
    'alignment 48',
    craftGguf({ metadata: [['general.alignment', { type: 'u32', value: 48 }]] }),
    'BAD_ALIGNMENT',
  ],
  [
    'key not UTF-8',
    craftGguf({ metadata: [[Uint8Array.of(0xff, 0xfe), { type: 'u8', value: 1 }]] }),
    'BAD_STRING',
  ],
  [
    'tensor name of 64 bytes',
    craftGguf({ tensors: [f32Tensor('n'.repeat(64))], dataBytes: 64 }),
    'BAD_TENSOR_NAME',
  ],
  [
    'duplicate tensor',
    craftGguf({ tensors: [f32Tensor('a'), f32Tensor('a', 64)], dataBytes: 128 }),
    'DUPLICATE_TENSOR',
  ],
  [
    '5 dimensions',
    craftGguf({ tensors: [{ name: 'a', ne: [1, 1, 1, 1, 1], type: 0, offset: 0 }], dataBytes: 32 }),
    'BAD_DIMENSIONS',
  ],
  [
    'negative dimension',
    craftGguf({ tensors: [{ name: 'a', ne: [2n ** 63n, 1], type: 0, offset: 0 }] }),
    'BAD_DIMENSIONS',
  ],
  [
    'element count overflow',
    craftGguf({ tensors: [{ name: 'a', ne: [2n ** 40n, 2n ** 40n], type: 0, offset: 0 }] }),
    'ELEMENT_OVERFLOW',
  ],
  [
    'removed type 4',
    craftGguf({ tensors: [{ name: 'a', ne: [32], type: 4, offset: 0 }], dataBytes: 32 }),
    'BAD_TENSOR_TYPE',
  ],
  [
    'type 99',
    craftGguf({ tensors: [{ name: 'a', ne: [32], type: 99, offset: 0 }], dataBytes: 32 }),
    'BAD_TENSOR_TYPE',
  ],
  [
    'row not whole blocks',
    craftGguf({ tensors: [{ name: 'a', ne: [33], type: 2, offset: 0 }], dataBytes: 64 }),
    'BAD_DIMENSIONS',
  ],
  ['offset with a gap', craftGguf({ tensors: [f32Tensor('a', 32)], dataBytes: 128 }), 'BAD_OFFSET'],
  [
    'unpadded second offset',
    craftGguf({ tensors: [{ name: 'a', ne: [3], type: 0, offset: 0 }, f32Tensor('b', 12)], dataBytes: 128 }),
    'BAD_OFFSET',
  ],
  [
    'data past the end',
    craftGguf({ tensors: [f32Tensor('a'), f32Tensor('b', 64)], dataBytes: 100 }),
    'DATA_OUT_OF_FILE',
  ],
];

describe('hostile GGUF files', () => {
  it('accepts the valid baseline', () => {
    expect(parseGguf(bufferSource(valid)).tensors.map((tensor) => tensor.name)).toEqual(['a', 'b']);
  });

  it.each(HOSTILE)('%s → %s', (_, bytes, code) => {
    let error: unknown;
    try {
      parseGguf(bufferSource(bytes));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GgufError);
    expect((error as GgufError).code).toBe(code);
  });

  it('names the value and the limit: tensor count 2^63 exceeds 1,000,000 at offset 8', () => {
    expect(() => parseGguf(bufferSource(HOSTILE[3]![1]))).toThrow(
      'tensor count 2^63 exceeds 1,000,000 at offset 8 (tensor_count)',
    );
  });

  it('rejects every prefix of a valid file with a GgufError', () => {
    for (let length = 0; length < valid.length; length++) {
      let error: unknown;
      try {
        parseGguf(bufferSource(valid.subarray(0, length)));
      } catch (caught) {
        error = caught;
      }
      expect([length, error instanceof GgufError]).toEqual([length, true]);
    }
  });

  it.runIf(loadGgmlOracle())(
    'agrees with ggml on every hostile file and prefix, except where recorded',
    () => {
      const cases = [...HOSTILE.map(([name, bytes]) => [name, bytes] as const), ['valid', valid] as const];
      for (let length = 0; length < valid.length; length += 7)
        cases.push([`prefix ${length}`, valid.subarray(0, length)]);
      const paths = cases.map(([, bytes], i) => {
        const path = join(directory, `case-${i}.gguf`);
        writeFileSync(path, bytes);
        return path;
      });
      const verdicts = ggmlParseGguf(paths);
      const disagreements = cases.flatMap(([name, bytes], i) => {
        let ours = true;
        try {
          parseGguf(bufferSource(bytes));
        } catch {
          ours = false;
        }
        return ours === verdicts[i]!.ok
          ? []
          : [
              `${name}: ours ${ours ? 'accepts' : 'rejects'}, ggml ${verdicts[i]!.ok ? 'accepts' : 'rejects'}`,
            ];
      });
      // Recorded disagreements, all where we are stricter: ggml does not validate UTF-8; with no_alloc it
      // never reads tensor data, so it accepts files whose data section is cut short (every prefix past the
      // header), which llama.cpp's model loader rejects later; and it accepts an element count of 2^80.
      const headerEnd = parseGguf(bufferSource(valid)).dataOffset;
      const recorded = (entry: string) =>
        /^(key not UTF-8|data past the end|element count overflow): ours rejects, ggml accepts$/.test(
          entry,
        ) ||
        (/^prefix \d+: ours rejects, ggml accepts$/.test(entry) &&
          Number(entry.split(' ')[1]!.replace(':', '')) >= headerEnd);
      expect(disagreements.filter((entry) => !recorded(entry))).toEqual([]);
      expect(disagreements).toContain('key not UTF-8: ours rejects, ggml accepts');
    },
  );
});
