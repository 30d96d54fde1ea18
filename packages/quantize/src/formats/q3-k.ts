import { fp16ToFp32, fp32ToFp16 } from '../float16.js';
import { f32, nearestInt, toInt8 } from '../float32-math.js';
import { type BlockFormat, readU16, writeU16 } from './block-format.js';
import { makeQ3Quants, makeQxQuants } from './k-quant-search.js';

// ggml-common.h: block_q3_K { uint8_t hmask[32]; uint8_t qs[64]; uint8_t scales[12]; ggml_half d; } = 110 bytes.
const QK_K = 256;
const HMASK = 0;
const QS = 32;
const SCALES = 96;
const D = 108;

const levels = new Int8Array(QK_K);
const scales = new Float32Array(QK_K / 16);
const weights = new Float32Array(16);
const groupWeights = new Float32Array(QK_K / 16);
const scaleLevels = new Int8Array(QK_K / 16);

/** Packs 6-bit scale code `code` (0..63) of group `j`: low 4 bits in bytes 0–7, high 2 bits in bytes 8–11. */
function packScale(out: Uint8Array, at: number, j: number, code: number): void {
  if (j < 8) out[at + SCALES + j] = code & 0xf;
  else out[at + SCALES + j - 8] = (out[at + SCALES + j - 8]! | ((code & 0xf) << 4)) & 0xff;
  out[at + SCALES + (j % 4) + 8] =
    (out[at + SCALES + (j % 4) + 8]! | ((code >> 4) << (2 * Math.floor(j / 4)))) & 0xff;
}

/** The signed 6-bit scale of group `j` from the 12 packed scale bytes (low 4 bits, then 2 high bits). */
function groupScale(bytes: Uint8Array, at: number, j: number): number {
  const low = j < 8 ? bytes[at + j]! & 0xf : bytes[at + j - 8]! >> 4;
  const high = (bytes[at + 8 + (j % 4)]! >> (2 * Math.floor(j / 4))) & 3;
  return toInt8((low | (high << 4)) - 32);
}

/** Requantizes against the stored scales, then splits each 3-bit level into hmask and 2-bit qs. */
function requantizeAndPack(x: Float32Array, from: number, out: Uint8Array, at: number): void {
  const d = fp16ToFp32(readU16(out, at + D));
  for (let j = 0; j < QK_K / 16; j++) {
    const scale = f32(d * groupScale(out, at + SCALES, j));
    if (scale === 0) continue; // C `!d`: NaN is not zero, so it does not skip
    for (let ii = 0; ii < 16; ii++) {
      const l = nearestInt(f32(x[from + 16 * j + ii]! / scale));
      levels[16 * j + ii] = Math.max(-4, Math.min(3, l)) + 4;
    }
  }
  out.fill(0, at + HMASK, at + HMASK + QK_K / 8);
  let m = 0;
  let bit = 1;
  for (let j = 0; j < QK_K; j++) {
    if (levels[j]! > 3) {
      out[at + HMASK + m] = out[at + HMASK + m]! | bit;
      levels[j] = levels[j]! - 4;
    }
    if (++m === QK_K / 8) {
      m = 0;
      bit <<= 1;
    }
  }
  for (let j = 0; j < QK_K; j += 128) {
    for (let l = 0; l < 32; l++) {
      out[at + QS + j / 4 + l] =
        (levels[j + l]! |
          (levels[j + l + 32]! << 2) |
          (levels[j + l + 64]! << 4) |
          (levels[j + l + 96]! << 6)) &
        0xff;
    }
  }
}

/** 3-bit super-blocks: 16 groups of 16 with signed 6-bit scales; the third bit of each q sits in hmask. */
export const Q3_K: BlockFormat = {
  name: 'Q3_K',
  id: 11,
  blockSize: QK_K,
  typeSize: 110,
  source: 'ggml-common.h block_q3_K; ggml-quants.c quantize_row_q3_K_ref / dequantize_row_q3_K',
  encodeBlock(x, from, out, at) {
    let maxScale = 0;
    let amax = 0;
    for (let j = 0; j < QK_K / 16; j++) {
      scales[j] = makeQ3Quants(16, 4, x, from + 16 * j, levels, 16 * j);
      const scale = Math.abs(scales[j]!);
      if (scale > amax) {
        amax = scale;
        maxScale = scales[j]!;
      }
    }
    out.fill(0, at + SCALES, at + SCALES + 12);
    if (maxScale !== 0) {
      const iscale = f32(-32 / maxScale);
      for (let j = 0; j < QK_K / 16; j++) {
        const l = toInt8(nearestInt(f32(iscale * scales[j]!)));
        packScale(out, at, j, Math.max(-32, Math.min(31, l)) + 32);
      }
      writeU16(out, at + D, fp32ToFp16(f32(1 / iscale)));
    } else {
      writeU16(out, at + D, 0);
    }
    requantizeAndPack(x, from, out, at);
  },
  encodeBlockWeighted(x, from, out, at, importance, importanceFrom) {
    // quantize_row_q3_K_impl: weights qw·sqrt(σ² + x²), σ² = 2·Σx²/256; group scales fitted by make_qx_quants.
    let sumX2 = 0;
    for (let j = 0; j < QK_K; j++) sumX2 = f32(sumX2 + f32(x[from + j]! * x[from + j]!));
    const sigma2 = f32(f32(2 * sumX2) / QK_K);
    for (let j = 0; j < QK_K / 16; j++) {
      let sumW = 0;
      for (let l = 0; l < 16; l++) {
        const value = x[from + 16 * j + l]!;
        weights[l] = f32(
          importance[importanceFrom + 16 * j + l]! * f32(Math.sqrt(f32(sigma2 + f32(value * value)))),
        );
        sumW = f32(sumW + weights[l]!);
      }
      groupWeights[j] = sumW;
      scales[j] = makeQxQuants(16, 4, x, from + 16 * j, levels, 16 * j, weights, 0);
    }
    out.fill(0, at + SCALES, at + SCALES + 12);
    const dBlock = makeQxQuants(QK_K / 16, 32, scales, 0, scaleLevels, 0, groupWeights, 0);
    for (let j = 0; j < QK_K / 16; j++) packScale(out, at, j, scaleLevels[j]!);
    writeU16(out, at + D, fp32ToFp16(dBlock));
    requantizeAndPack(x, from, out, at);
  },
  decodeBlock(bytes, at, out, to) {
    const d = fp16ToFp32(readU16(bytes, at + D));
    let y = to;
    let group = 0;
    let m = 1;
    for (let n = 0; n < QK_K; n += 128) {
      const q = at + QS + n / 4;
      for (let shift = 0; shift < 8; shift += 2) {
        for (const half of [0, 16]) {
          const dl = f32(d * groupScale(bytes, at + SCALES, group++));
          for (let l = 0; l < 16; l++) {
            const low = (bytes[q + half + l]! >> shift) & 3;
            const high = bytes[at + HMASK + half + l]! & m ? 0 : 4;
            out[y++] = f32(dl * (low - high));
          }
        }
        m <<= 1;
      }
    }
  },
};
