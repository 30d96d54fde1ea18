import { describe, expect, it } from 'vitest';
import {
  BlockAlignmentError,
  ByteLengthError,
  chooseGgmlType,
  dequantizeGgml,
  fp16ToFp32,
  fp32ToBf16,
  fp32ToFp16,
  GGML_TYPES,
  type GgmlTypeName,
  ggmlByteLength,
  NonFiniteValueError,
  quantizeGgml,
  UnsupportedTypeError,
} from './index.js';

describe('quantizeGgml input checks', () => {
  it('names the first NaN or infinite element', () => {
    const data = new Float32Array(64);
    data[40] = Number.NaN;
    expect(() => quantizeGgml('Q4_0', data)).toThrow(NonFiniteValueError);
    expect(() => quantizeGgml('Q4_0', data)).toThrow('element 40 is NaN');
    data[40] = 0;
    data[7] = Number.NEGATIVE_INFINITY;
    expect(() => quantizeGgml('Q8_0', data)).toThrow('element 7 is -Infinity');
  });

  it('refuses lengths and rows that are not whole blocks', () => {
    expect(() => quantizeGgml('Q4_K', new Float32Array(100))).toThrow(BlockAlignmentError);
    expect(() => quantizeGgml('Q4_K', new Float32Array(100))).toThrow(
      "100 elements per row is not a multiple of Q4_K's block of 256",
    );
    expect(() => quantizeGgml('Q8_0', new Float32Array(96), { rowLength: 48 })).toThrow(
      /48 elements per row/,
    );
    expect(() => quantizeGgml('Q8_0', new Float32Array(96), { rowLength: 64 })).toThrow(
      /96 elements \(rows\)/,
    );
    expect(() => dequantizeGgml('Q8_0', new Uint8Array(10), 32)).toThrow(ByteLengthError);
    expect(() => dequantizeGgml('Q8_0', new Uint8Array(34), 33)).toThrow(BlockAlignmentError);
    expect(() => quantizeGgml('Q7_K' as 'Q4_K', new Float32Array(256))).toThrow(UnsupportedTypeError);
  });

  it('checks the importance matrix', () => {
    const data = new Float32Array(512);
    expect(() => quantizeGgml('Q4_K', data, { rowLength: 256, importance: new Float32Array(512) })).toThrow(
      /512 importance weights \(one per column of the row\) is not a multiple of Q4_K's block of 256/,
    );
    expect(() =>
      quantizeGgml('Q4_K', data, { importance: Float32Array.of(...new Array(511).fill(1), Number.NaN) }),
    ).toThrow('element 511 is NaN');
  });

  it('handles empty input and all-zero blocks', () => {
    expect(quantizeGgml('Q6_K', new Float32Array(0))).toHaveLength(0);
    expect(dequantizeGgml('Q6_K', new Uint8Array(0), 0)).toHaveLength(0);
    for (const type of GGML_TYPES.map((entry) => entry.name as GgmlTypeName).filter((name) =>
      name.startsWith('Q'),
    )) {
      const zeros = dequantizeGgml(type, quantizeGgml(type, new Float32Array(256)), 256);
      expect([type, zeros.every((value) => value === 0)]).toEqual([type, true]);
    }
    expect(ggmlByteLength('Q4_0', 4096)).toBe(2304); // 128 blocks × 18 bytes
  });

  it('converts halves like ggml, including overflow', () => {
    expect(fp32ToFp16(1)).toBe(0x3c00);
    expect(fp32ToFp16(65504)).toBe(0x7bff); // largest half
    expect(fp32ToFp16(65520)).toBe(0x7c00); // halfway to the next binade rounds up to +Inf
    expect(fp32ToFp16(-1e6)).toBe(0xfc00);
    expect(fp32ToFp16(2 ** -25)).toBe(0); // half of the smallest subnormal: ties to even (0)
    expect(fp16ToFp32(0x0001)).toBe(2 ** -24);
    expect(fp32ToBf16(1.00390625)).toBe(0x3f80); // 1 + 2^-8 is a tie: round to even
  });
});

describe('chooseGgmlType', () => {
  it('keeps the requested type when rows are whole blocks', () => {
    expect(chooseGgmlType([4096, 4096], 'Q4_K')).toEqual({ requested: 'Q4_K', type: 'Q4_K' });
  });

  it('falls back explicitly and says why', () => {
    expect(chooseGgmlType([512, 288], 'Q4_K')).toEqual({
      requested: 'Q4_K',
      type: 'Q5_0',
      reason: "row length 288 is not a multiple of Q4_K's block of 256; using Q5_0",
    });
    expect(chooseGgmlType([10, 100], 'Q6_K')).toEqual({
      requested: 'Q6_K',
      type: 'F16',
      reason:
        "row length 100 is not a multiple of Q6_K's block of 256; using Q8_0; then row length 100 is not a multiple of Q8_0's block of 32; using F16",
    });
    expect(chooseGgmlType([4096], 'Q8_0').type).toBe('F32');
  });
});
