import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  dequantizeInt,
  type IntQuantOptions,
  intCode,
  NonFiniteValueError,
  quantizationError,
  quantizedMatmul,
  quantizeInt,
  UnsupportedTypeError,
} from './index.js';

// The 4×4 example of the README, worked by hand.
const W = Float32Array.of(0.5, -1, 0.25, 1, 2, 0, -0.5, 1, 0.1, 0.2, 0.3, 0.4, -3, 1.5, 0, 0.75);
const EXPECTED_ASYMMETRIC = [11, 0, 9, 15, 15, 3, 0, 9, 4, 8, 11, 15, 0, 15, 10, 13];
const codesOf = (options: IntQuantOptions) => {
  const q = quantizeInt(W, [4, 4], options);
  return Array.from({ length: 16 }, (_, i) => intCode(q, i));
};

describe('quantizeInt worked 4×4 example', () => {
  it('INT8 symmetric per row', () => {
    // Row 0: scale = max|x| / 127 = 1/127. 0.5·127 = 63.5 → 64 (half away from zero), -1 → -127, 0.25·127 = 31.75 → 32,
    // 1 → 127. Codes are stored offset by 128: [192, 1, 160, 255]. 64/127 = 0.50394 reconstructs 0.5.
    const q = quantizeInt(W, [4, 4], { bits: 8, symmetric: true, granularity: 'row' });
    expect(Array.from(q.scales)).toEqual([1 / 127, 2 / 127, 0.4 / 127, 3 / 127].map(Math.fround));
    expect(codesOf({ bits: 8, symmetric: true, granularity: 'row' })).toEqual([
      192, 1, 160, 255, 255, 128, 96, 192, 160, 192, 223, 255, 1, 192, 128, 160,
    ]);
    expect(dequantizeInt(q)[0]).toBeCloseTo(64 / 127, 6);
  });

  it('INT4 asymmetric per row', () => {
    // Row 0: [min, max] = [-1, 1] → scale = 2/15, zero = round(1 / (2/15)) = round(7.5) = 8.
    // Codes count from min: 0.5 → 1.5·7.5 = 11.25 → 11; -1 → 0; 0.25 → 9.375 → 9; 1 → 15.
    // So 0.5 comes back as (11 - 8)·2/15 = 0.4, 1 as 7·2/15 = 0.933: errors up to one step, as documented.
    const q = quantizeInt(W, [4, 4], { bits: 4, symmetric: false, granularity: 'row' });
    expect(Array.from(q.zeroPoints)).toEqual([8, 3, 0, 10]);
    expect(codesOf({ bits: 4, symmetric: false, granularity: 'row' })).toEqual(EXPECTED_ASYMMETRIC);
    expect(q.codes).toHaveLength(8); // two 4-bit codes per byte
  });

  it('compares schemes by their error', () => {
    const error = (options: IntQuantOptions) =>
      quantizationError(W, dequantizeInt(quantizeInt(W, [4, 4], options))).snrDb;
    const int8 = error({ bits: 8, symmetric: true, granularity: 'row' });
    const int4 = error({ bits: 4, symmetric: true, granularity: 'row' });
    const int8Tensor = error({ bits: 8, symmetric: true, granularity: 'tensor' });
    expect(int8).toBeCloseTo(48.55, 1);
    expect(int4).toBeCloseTo(23.37, 1);
    expect(int8Tensor).toBeLessThan(int8); // one scale for all rows loses the small rows' precision
  });
});

const schemes = fc.record({
  bits: fc.constantFrom(8 as const, 4 as const),
  symmetric: fc.boolean(),
  granularity: fc.constantFrom('tensor' as const, 'row' as const, 'group' as const),
  groupSize: fc.constantFrom(32 as const, 64 as const, 128 as const),
});
const matrices = fc.integer({ min: 1, max: 4 }).chain((rows) =>
  fc.tuple(
    fc.constant(rows),
    fc.float32Array({
      minLength: rows * 128,
      maxLength: rows * 128,
      noNaN: true,
      noDefaultInfinity: true,
      min: -1e6,
      max: 1e6,
    }),
  ),
);

describe('quantizeInt properties', () => {
  test.prop([matrices, schemes])(
    "every value is within the scheme's bound: s/2 symmetric, s asymmetric",
    ([rows, data], options) => {
      const q = quantizeInt(data, [rows, 128], options);
      const restored = dequantizeInt(q);
      for (let i = 0; i < data.length; i++) {
        const scale = q.scales[Math.floor(i / q.groupLength)]!;
        const bound = options.symmetric ? scale / 2 : scale;
        // plus float32 rounding of the stored scale and result (relative 2^-23 on up to 2^bits steps)
        expect(Math.abs(restored[i]! - data[i]!)).toBeLessThanOrEqual(
          bound + scale * 2 ** options.bits * 2 ** -23 + 1e-30,
        );
      }
    },
  );

  test.prop([matrices, schemes])('quantize(dequantize(q)) gives the same codes', ([rows, data], options) => {
    const q = quantizeInt(data, [rows, 128], options);
    const again = quantizeInt(dequantizeInt(q), [rows, 128], options);
    expect(Array.from(again.codes)).toEqual(Array.from(q.codes));
  });

  test.prop([
    fc.integer({ min: 1, max: 3 }),
    fc.float32Array({ minLength: 8 * 64, maxLength: 8 * 64, min: -2, max: 2, noNaN: true }),
    fc.constantFrom(8 as const, 4 as const),
  ])('quantizedMatmul equals the float product of the dequantized weights', (batch, weights, bits) => {
    const q = quantizeInt(weights, [8, 64], { bits, symmetric: true, granularity: 'group', groupSize: 32 });
    const activations = Float32Array.from({ length: batch * 64 }, (_, i) => Math.sin(i));
    const dense = dequantizeInt(q);
    const out = quantizedMatmul(q, activations, batch);
    for (let b = 0; b < batch; b++)
      for (let o = 0; o < 8; o++) {
        let expected = 0;
        for (let i = 0; i < 64; i++) expected += dense[o * 64 + i]! * activations[b * 64 + i]!;
        expect(out[b * 8 + o]).toBeCloseTo(expected, 3);
      }
  });
});

describe('metrics and bad input', () => {
  it('computes error metrics of a worked pair', () => {
    // x = [1, 2], x̂ = [1, 2.5]: errors [0, -0.5] → mse 0.125, SNR = 10·log10(5 / 0.25) = 13.01 dB,
    // cosine = (1 + 5) / √(5 · 7.25) = 0.99654.
    const metrics = quantizationError(Float32Array.of(1, 2), Float32Array.of(1, 2.5));
    expect(metrics.mse).toBe(0.125);
    expect(metrics.maxAbsError).toBe(0.5);
    expect(metrics.snrDb).toBeCloseTo(13.0103, 4);
    expect(metrics.cosineSimilarity).toBeCloseTo(0.996546, 6);
    expect(quantizationError(Float32Array.of(1), Float32Array.of(1)).snrDb).toBe(Number.POSITIVE_INFINITY);
  });

  it('raises typed errors', () => {
    expect(() =>
      quantizeInt(Float32Array.of(1, Number.NaN), [1, 2], { bits: 8, symmetric: true, granularity: 'row' }),
    ).toThrow(NonFiniteValueError);
    expect(() =>
      quantizeInt(new Float32Array(48), [1, 48], {
        bits: 4,
        symmetric: true,
        granularity: 'group',
        groupSize: 32,
      }),
    ).toThrow(/does not divide the row length 48/);
    expect(() =>
      quantizeInt(new Float32Array(4), [2, 3], { bits: 8, symmetric: true, granularity: 'row' }),
    ).toThrow(UnsupportedTypeError);
    expect(() =>
      quantizeInt(new Float32Array(4), [1, 4], { bits: 2 as 4, symmetric: true, granularity: 'row' }),
    ).toThrow(/bits 2/);
  });

  it('keeps an all-zero matrix at zero', () => {
    const q = quantizeInt(new Float32Array(8), [2, 4], { bits: 4, symmetric: false, granularity: 'row' });
    expect(Array.from(dequantizeInt(q))).toEqual(new Array(8).fill(0));
  });
});
