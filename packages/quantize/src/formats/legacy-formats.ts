import { fp16ToFp32, fp32ToFp16 } from '../float16.js';
import { f32, roundHalfAway, toInt8, truncToInt8, truncToUint8 } from '../float32-math.js';
import { type BlockFormat, readU16, writeU16 } from './block-format.js';
import { largestMagnitude } from './k-quant-search.js';
import {
  encodeQ4_0Weighted,
  encodeQ4_1Weighted,
  encodeQ5_0Weighted,
  encodeQ5_1Weighted,
} from './legacy-weighted.js';

// ggml-common.h: QK4_0 = QK4_1 = QK5_0 = QK5_1 = QK8_0 = 32.
const QK = 32;

function minMax(source: Float32Array, from: number): { min: number; max: number } {
  let min = 3.4028234663852886e38; // FLT_MAX
  let max = -3.4028234663852886e38;
  for (let j = 0; j < QK; j++) {
    const value = source[from + j]!;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return { min, max };
}

/** `block_q4_0 { ggml_half d; uint8_t qs[16]; }`: x = (q - 8)·d, low nibbles hold elements 0–15. */
export const Q4_0: BlockFormat = {
  name: 'Q4_0',
  id: 2,
  blockSize: QK,
  typeSize: 2 + QK / 2,
  source: 'ggml-common.h block_q4_0; ggml-quants.c quantize_row_q4_0_ref / dequantize_row_q4_0',
  encodeBlock(source, from, out, at) {
    const { max } = largestMagnitude(source, from, QK);
    const d = f32(max / -8);
    const id = d !== 0 ? f32(1 / d) : 0;
    writeU16(out, at, fp32ToFp16(d));
    for (let j = 0; j < QK / 2; j++) {
      const x0 = f32(source[from + j]! * id);
      const x1 = f32(source[from + QK / 2 + j]! * id);
      const xi0 = Math.min(15, truncToInt8(f32(x0 + 8.5))) & 0xff;
      const xi1 = Math.min(15, truncToInt8(f32(x1 + 8.5))) & 0xff;
      out[at + 2 + j] = xi0 | (xi1 << 4);
    }
  },
  encodeBlockWeighted: encodeQ4_0Weighted,
  decodeBlock(bytes, at, out, to) {
    const d = fp16ToFp32(readU16(bytes, at));
    for (let j = 0; j < QK / 2; j++) {
      const byte = bytes[at + 2 + j]!;
      out[to + j] = f32(((byte & 0x0f) - 8) * d);
      out[to + j + QK / 2] = f32(((byte >> 4) - 8) * d);
    }
  },
};

/** `block_q4_1 { ggml_half d, m; uint8_t qs[16]; }`: x = q·d + m. */
export const Q4_1: BlockFormat = {
  name: 'Q4_1',
  id: 3,
  blockSize: QK,
  typeSize: 4 + QK / 2,
  source: 'ggml-common.h block_q4_1; ggml-quants.c quantize_row_q4_1_ref / dequantize_row_q4_1',
  encodeBlock(source, from, out, at) {
    const { min, max } = minMax(source, from);
    const d = f32(f32(max - min) / 15);
    const id = d !== 0 ? f32(1 / d) : 0;
    writeU16(out, at, fp32ToFp16(d));
    writeU16(out, at + 2, fp32ToFp16(min));
    for (let j = 0; j < QK / 2; j++) {
      const x0 = f32(f32(source[from + j]! - min) * id);
      const x1 = f32(f32(source[from + QK / 2 + j]! - min) * id);
      const xi0 = Math.min(15, truncToInt8(f32(x0 + 0.5))) & 0xff;
      const xi1 = Math.min(15, truncToInt8(f32(x1 + 0.5))) & 0xff;
      out[at + 4 + j] = xi0 | (xi1 << 4);
    }
  },
  encodeBlockWeighted: encodeQ4_1Weighted,
  decodeBlock(bytes, at, out, to) {
    const d = fp16ToFp32(readU16(bytes, at));
    const m = fp16ToFp32(readU16(bytes, at + 2));
    for (let j = 0; j < QK / 2; j++) {
      const byte = bytes[at + 4 + j]!;
      out[to + j] = f32(f32((byte & 0x0f) * d) + m);
      out[to + j + QK / 2] = f32(f32((byte >> 4) * d) + m);
    }
  },
};

/** `block_q5_0 { ggml_half d; uint8_t qh[4]; uint8_t qs[16]; }`: x = (q - 16)·d, bit 4 of each q in qh. */
export const Q5_0: BlockFormat = {
  name: 'Q5_0',
  id: 6,
  blockSize: QK,
  typeSize: 2 + 4 + QK / 2,
  source: 'ggml-common.h block_q5_0; ggml-quants.c quantize_row_q5_0_ref / dequantize_row_q5_0',
  encodeBlock(source, from, out, at) {
    const { max } = largestMagnitude(source, from, QK);
    const d = f32(max / -16);
    const id = d !== 0 ? f32(1 / d) : 0;
    writeU16(out, at, fp32ToFp16(d));
    let qh = 0;
    for (let j = 0; j < QK / 2; j++) {
      const x0 = f32(source[from + j]! * id);
      const x1 = f32(source[from + QK / 2 + j]! * id);
      const xi0 = Math.min(31, truncToInt8(f32(x0 + 16.5))) & 0xff;
      const xi1 = Math.min(31, truncToInt8(f32(x1 + 16.5))) & 0xff;
      out[at + 6 + j] = (xi0 & 0x0f) | ((xi1 & 0x0f) << 4);
      qh |= ((xi0 & 0x10) >> 4) << j;
      qh |= ((xi1 & 0x10) >> 4) << (j + QK / 2);
    }
    writeU16(out, at + 2, qh & 0xffff);
    writeU16(out, at + 4, (qh >>> 16) & 0xffff);
  },
  encodeBlockWeighted: encodeQ5_0Weighted,
  decodeBlock(bytes, at, out, to) {
    const d = fp16ToFp32(readU16(bytes, at));
    const qh = readU16(bytes, at + 2) | (readU16(bytes, at + 4) << 16);
    for (let j = 0; j < QK / 2; j++) {
      const byte = bytes[at + 6 + j]!;
      const high0 = ((qh >>> j) << 4) & 0x10;
      const high1 = (qh >>> (j + 12)) & 0x10;
      out[to + j] = f32((((byte & 0x0f) | high0) - 16) * d);
      out[to + j + QK / 2] = f32((((byte >> 4) | high1) - 16) * d);
    }
  },
};

/** `block_q5_1 { ggml_half d, m; uint8_t qh[4]; uint8_t qs[16]; }`: x = q·d + m. */
export const Q5_1: BlockFormat = {
  name: 'Q5_1',
  id: 7,
  blockSize: QK,
  typeSize: 4 + 4 + QK / 2,
  source: 'ggml-common.h block_q5_1; ggml-quants.c quantize_row_q5_1_ref / dequantize_row_q5_1',
  encodeBlock(source, from, out, at) {
    const { min, max } = minMax(source, from);
    const d = f32(f32(max - min) / 31);
    const id = d !== 0 ? f32(1 / d) : 0;
    writeU16(out, at, fp32ToFp16(d));
    writeU16(out, at + 2, fp32ToFp16(min));
    let qh = 0;
    for (let j = 0; j < QK / 2; j++) {
      const x0 = f32(f32(source[from + j]! - min) * id);
      const x1 = f32(f32(source[from + QK / 2 + j]! - min) * id);
      const xi0 = truncToUint8(f32(x0 + 0.5));
      const xi1 = truncToUint8(f32(x1 + 0.5));
      out[at + 8 + j] = (xi0 & 0x0f) | ((xi1 & 0x0f) << 4);
      qh |= ((xi0 & 0x10) >> 4) << j;
      qh |= ((xi1 & 0x10) >> 4) << (j + QK / 2);
    }
    writeU16(out, at + 4, qh & 0xffff);
    writeU16(out, at + 6, (qh >>> 16) & 0xffff);
  },
  encodeBlockWeighted: encodeQ5_1Weighted,
  decodeBlock(bytes, at, out, to) {
    const d = fp16ToFp32(readU16(bytes, at));
    const m = fp16ToFp32(readU16(bytes, at + 2));
    const qh = readU16(bytes, at + 4) | (readU16(bytes, at + 6) << 16);
    for (let j = 0; j < QK / 2; j++) {
      const byte = bytes[at + 8 + j]!;
      const high0 = ((qh >>> j) << 4) & 0x10;
      const high1 = (qh >>> (j + 12)) & 0x10;
      out[to + j] = f32(f32(((byte & 0x0f) | high0) * d) + m);
      out[to + j + QK / 2] = f32(f32(((byte >> 4) | high1) * d) + m);
    }
  },
};

/** `block_q8_0 { ggml_half d; int8_t qs[32]; }`: x = q·d, d = max|x| / 127. */
export const Q8_0: BlockFormat = {
  name: 'Q8_0',
  id: 8,
  blockSize: QK,
  typeSize: 2 + QK,
  source: 'ggml-common.h block_q8_0; ggml-quants.c quantize_row_q8_0_ref / dequantize_row_q8_0',
  encodeBlock(source, from, out, at) {
    let amax = 0;
    for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(source[from + j]!));
    const d = f32(amax / 127);
    const id = d !== 0 ? f32(1 / d) : 0;
    writeU16(out, at, fp32ToFp16(d));
    for (let j = 0; j < QK; j++)
      out[at + 2 + j] = truncToInt8(roundHalfAway(f32(source[from + j]! * id))) & 0xff;
  },
  decodeBlock(bytes, at, out, to) {
    const d = fp16ToFp32(readU16(bytes, at));
    for (let j = 0; j < QK; j++) out[to + j] = f32(toInt8(bytes[at + 2 + j]!) * d);
  },
};
