// Differential tests against ggml itself (node-llama-cpp's libggml-base.so through koffi): zero differing
// bytes for every type, on random and adversarial rows, and identical floats when decoding.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { loadGgmlOracle, type OracleTypeName } from '../../../scripts/ggml-oracle.js';
import { seededRandom } from '../../../scripts/seeded-random.js';
import { dequantizeGgml, GGML_TYPES, type GgmlTypeName, quantizeGgml } from './index.js';
import { hasWasmKernel } from './wasm-kernels.js';

const oracle = loadGgmlOracle();
const TYPES = GGML_TYPES.map((type) => type.name as GgmlTypeName).filter((name) => name !== 'F32');
const ROW = 512; // two K-quant super-blocks, sixteen 32-blocks
const KERNELS = ['auto', 'js'] as const;

function row(fill: (i: number, next: () => number) => number, seed = 1): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: ROW }, (_, i) => fill(i, next));
}

/** Adversarial rows: each stresses a branch of some quantizer (all-zero groups, ties, extremes, f16 overflow). */
const ROWS: Record<string, Float32Array> = {
  'all zeros': row(() => 0),
  'negative zeros': row(() => -0),
  constant: row(() => 1.5),
  'negative constant': row(() => -3),
  'one huge value': row((i, next) => (i === 77 ? 1e4 : next() - 0.5)),
  'huge negative outliers': row((i, next) => (i % 97 === 0 ? -5e3 : next() * 0.01)),
  tiny: row((_, next) => (next() - 0.5) * 1e-30),
  subnormal: row((_, next) => (next() - 0.5) * 1e-40),
  'smallest subnormals': row((i) => (i % 3) * 1.401298464324817e-45),
  alternating: row((i) => (i % 2 ? 1 : -1)),
  ramp: row((i) => i / ROW - 0.5),
  'rounding boundaries': row((i) => ((i % 16) + 0.5) / 8),
  'half-integers': row((i) => (i % 33) - 16.5),
  'beyond f16 range': row((i, next) => (next() - 0.5) * 2e6 + (i === 3 ? 7e4 : 0)),
  'near f32 max': row((_, next) => (next() - 0.5) * 3e38),
  'mixed magnitudes': row((_, next) => (next() - 0.5) * 10 ** Math.floor(next() * 12 - 6)),
  gaussian: row((_, next) => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next())),
  'zero groups among values': row((i, next) => (Math.floor(i / 32) % 2 ? 0 : next() - 0.5)),
  'sparse ones': row((i) => (i % 17 === 0 ? 1 : 0)),
};

/** Same floats, bit for bit, NaN payloads aside (both NaN counts as equal). */
function firstFloatDifference(a: Float32Array, b: Float32Array): number {
  const bitsA = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bitsB = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++)
    if (bitsA[i] !== bitsB[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

function firstByteDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe.runIf(oracle)('bit-exact with ggml', () => {
  const ggml = oracle!;

  it('loads the WebAssembly kernels here (so the auto rows below test them)', () => {
    expect(['Q8_0', 'Q4_0', 'Q4_K', 'Q6_K'].map(hasWasmKernel)).toEqual([true, true, true, true]);
  });

  it('has ggml block and byte sizes for every type', () => {
    for (const type of GGML_TYPES) {
      expect([
        type.name,
        ggml.blockSize(type.name as OracleTypeName),
        ggml.typeSize(type.name as OracleTypeName),
      ]).toEqual([type.name, type.blockSize, type.typeSize]);
    }
  });

  describe.each(TYPES)('%s', (type) => {
    // 'auto' runs the WebAssembly kernel where the type has one; 'js' the TypeScript reference.
    it.each(Object.keys(ROWS).flatMap((name) => KERNELS.map((kernel) => [name, kernel] as const)))(
      '%s (%s): same bytes, same decoded floats',
      (name, kernel) => {
        const data = ROWS[name]!;
        const ours = quantizeGgml(type, data, { kernel });
        const reference = ggml.quantize(type as OracleTypeName, data, ROW);
        expect(firstByteDifference(ours, reference)).toBe(-1);
        expect(
          firstFloatDifference(
            dequantizeGgml(type, reference, ROW, { kernel }),
            ggml.dequantize(type as OracleTypeName, reference, ROW),
          ),
        ).toBe(-1);
      },
    );

    test.prop([fc.float32Array({ minLength: 256, maxLength: 256, noNaN: true, noDefaultInfinity: true })], {
      numRuns: 60,
    })('any finite floats: same bytes', (data) => {
      const reference = ggml.quantize(type as OracleTypeName, data, 256);
      for (const kernel of KERNELS)
        expect(firstByteDifference(quantizeGgml(type, data, { kernel }), reference)).toBe(-1);
    });

    test.prop([fc.uint8Array({ minLength: 1024, maxLength: 1024 })], { numRuns: 40 })(
      'any block bytes: same decoded floats',
      (noise) => {
        const format = GGML_TYPES.find((candidate) => candidate.name === type)!;
        const count = Math.floor(noise.length / format.typeSize) * format.blockSize;
        const bytes = noise.subarray(0, (count / format.blockSize) * format.typeSize);
        const reference = ggml.dequantize(type as OracleTypeName, bytes, count);
        for (const kernel of KERNELS)
          expect(firstFloatDifference(dequantizeGgml(type, bytes, count, { kernel }), reference)).toBe(-1);
      },
    );
  });

  it('quantizes a 4096 × 64 tensor of every type identically (whole-tensor check)', () => {
    const next = seededRandom(42);
    const tensor = Float32Array.from({ length: 4096 * 64 }, () => (next() - 0.5) * (next() < 0.02 ? 20 : 1));
    for (const type of TYPES) {
      const reference = ggml.quantize(type as OracleTypeName, tensor, 4096);
      for (const kernel of KERNELS) {
        expect([
          type,
          kernel,
          firstByteDifference(quantizeGgml(type, tensor, { rowLength: 4096, kernel }), reference),
        ]).toEqual([type, kernel, -1]);
      }
    }
  });

  describe('with an importance matrix (imatrix)', () => {
    const WEIGHTED = TYPES.filter((name) => name.startsWith('Q'));
    const next = seededRandom(7);
    const importance = Float32Array.from({ length: ROW }, () => next() * next() * 10);
    const sparseImportance = Float32Array.from({ length: ROW }, (_, i) => (i % 5 === 0 ? 0 : 1 + (i % 7)));

    it.each(WEIGHTED.flatMap((type) => Object.keys(ROWS).map((name) => [type, name] as const)))(
      '%s, %s: same bytes',
      (type, name) => {
        for (const weights of [importance, sparseImportance]) {
          const ours = quantizeGgml(type, ROWS[name]!, { rowLength: ROW, importance: weights });
          expect(
            firstByteDifference(ours, ggml.quantize(type as OracleTypeName, ROWS[name]!, ROW, weights)),
          ).toBe(-1);
        }
      },
    );

    test.prop(
      [
        fc.constantFrom(...WEIGHTED),
        fc.float32Array({
          minLength: 512,
          maxLength: 512,
          noNaN: true,
          noDefaultInfinity: true,
          min: -1e6,
          max: 1e6,
        }),
        fc.float32Array({
          minLength: 256,
          maxLength: 256,
          noNaN: true,
          noDefaultInfinity: true,
          min: 0,
          max: 1e4,
        }),
      ],
      { numRuns: 150 },
    )('random rows and weights: same bytes', (type, data, weights) => {
      // Two rows of 256: the row mean square σ² differs per row for the 32-element formats.
      const ours = quantizeGgml(type, data, { rowLength: 256, importance: weights });
      expect(firstByteDifference(ours, ggml.quantize(type as OracleTypeName, data, 256, weights))).toBe(-1);
    });
  });
});
