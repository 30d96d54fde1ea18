import { fp16ToFp32, fp32ToFp16 } from '../float16.js';
import { f32, nearestInt } from '../float32-math.js';
import { type BlockFormat, readU16, writeU16 } from './block-format.js';
import { makeQkx2Quants, makeQkx3Quants, makeQpQuants, type ScaleAndMin } from './k-quant-search.js';

// ggml-common.h: QK_K = 256; block_q2_K { uint8_t scales[16]; uint8_t qs[64]; ggml_half d, dmin; } = 84 bytes.
const QK_K = 256;
const SCALES = 0;
const QS = 16;
const D = 80;
const DMIN = 82;

const levels = new Uint8Array(QK_K);
const scratch = new Uint8Array(16);
const weights = new Float32Array(16);
const scales = new Float32Array(QK_K / 16);
const mins = new Float32Array(QK_K / 16);
const fit: ScaleAndMin = { scale: 0, min: 0 };
const groupWeights = new Float32Array(QK_K / 16);
const scaleLevels = new Uint8Array(QK_K / 16);
const minLevels = new Uint8Array(QK_K / 16);

/** Requantizes every element against the stored (rounded) scales and mins, then packs 4 levels per byte. */
function requantizeAndPack(x: Float32Array, from: number, out: Uint8Array, at: number): void {
  const d = fp16ToFp32(readU16(out, at + D));
  const dmin = fp16ToFp32(readU16(out, at + DMIN));
  for (let j = 0; j < QK_K / 16; j++) {
    const packed = out[at + SCALES + j]!;
    const scale = f32(d * (packed & 0xf));
    if (scale === 0) continue; // C `!d`: NaN is not zero, so it does not skip
    const offset = f32(dmin * (packed >> 4));
    for (let ii = 0; ii < 16; ii++) {
      const l = nearestInt(f32(f32(x[from + 16 * j + ii]! + offset) / scale));
      levels[16 * j + ii] = Math.max(0, Math.min(3, l));
    }
  }
  for (let j = 0; j < QK_K; j += 128) {
    for (let l = 0; l < 32; l++) {
      out[at + QS + j / 4 + l] =
        levels[j + l]! | (levels[j + l + 32]! << 2) | (levels[j + l + 64]! << 4) | (levels[j + l + 96]! << 6);
    }
  }
}

/** 2-bit super-blocks: 16 groups of 16, each with a 4-bit scale and 4-bit min; x = d·sc·q - dmin·m. */
export const Q2_K: BlockFormat = {
  name: 'Q2_K',
  id: 10,
  blockSize: QK_K,
  typeSize: 84,
  source: 'ggml-common.h block_q2_K; ggml-quants.c quantize_row_q2_K_ref / dequantize_row_q2_K',
  encodeBlock(x, from, out, at) {
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < QK_K / 16; j++) {
      for (let l = 0; l < 16; l++) weights[l] = Math.abs(x[from + 16 * j + l]!);
      makeQkx2Quants(
        16,
        3,
        x,
        from + 16 * j,
        weights,
        levels,
        16 * j,
        scratch,
        -0.5,
        f32(0.1),
        15,
        true,
        fit,
      );
      scales[j] = fit.scale;
      mins[j] = fit.min;
      if (fit.scale > maxScale) maxScale = fit.scale;
      if (fit.min > maxMin) maxMin = fit.min;
    }
    const q4scale = 15;
    if (maxScale > 0) {
      const iscale = f32(q4scale / maxScale);
      for (let j = 0; j < QK_K / 16; j++) out[at + SCALES + j] = nearestInt(f32(iscale * scales[j]!)) & 0xff;
      writeU16(out, at + D, fp32ToFp16(f32(maxScale / q4scale)));
    } else {
      out.fill(0, at + SCALES, at + SCALES + 16);
      writeU16(out, at + D, 0);
    }
    if (maxMin > 0) {
      const iscale = f32(q4scale / maxMin);
      for (let j = 0; j < QK_K / 16; j++)
        out[at + SCALES + j] = (out[at + SCALES + j]! | (nearestInt(f32(iscale * mins[j]!)) << 4)) & 0xff;
      writeU16(out, at + DMIN, fp32ToFp16(f32(maxMin / q4scale)));
    } else {
      writeU16(out, at + DMIN, 0);
    }
    requantizeAndPack(x, from, out, at);
  },
  encodeBlockWeighted(x, from, out, at, importance, importanceFrom) {
    // quantize_row_q2_K_impl: weights qw·sqrt(σ² + x²) with σ² the block's mean square.
    let sumX2 = 0;
    for (let j = 0; j < QK_K; j++) sumX2 = f32(sumX2 + f32(x[from + j]! * x[from + j]!));
    const sigma2 = f32(sumX2 / QK_K);
    groupWeights.fill(0);
    for (let j = 0; j < QK_K / 16; j++) {
      for (let l = 0; l < 16; l++) {
        const value = x[from + 16 * j + l]!;
        weights[l] = f32(
          importance[importanceFrom + 16 * j + l]! * f32(Math.sqrt(f32(sigma2 + f32(value * value)))),
        );
      }
      for (let l = 0; l < 16; l++) groupWeights[j] = f32(groupWeights[j]! + weights[l]!);
      makeQkx3Quants(16, 3, x, from + 16 * j, weights, levels, 16 * j, scratch, -0.9, f32(0.05), 36, fit);
      scales[j] = fit.scale;
      mins[j] = fit.min;
    }
    writeU16(out, at + D, fp32ToFp16(makeQpQuants(QK_K / 16, 15, scales, scaleLevels, groupWeights)));
    writeU16(out, at + DMIN, fp32ToFp16(makeQpQuants(QK_K / 16, 15, mins, minLevels, groupWeights)));
    for (let j = 0; j < QK_K / 16; j++)
      out[at + SCALES + j] = (scaleLevels[j]! | (minLevels[j]! << 4)) & 0xff;
    requantizeAndPack(x, from, out, at);
  },
  decodeBlock(bytes, at, out, to) {
    const d = fp16ToFp32(readU16(bytes, at + D));
    const dmin = fp16ToFp32(readU16(bytes, at + DMIN));
    let y = to;
    let group = 0;
    for (let n = 0; n < QK_K; n += 128) {
      const q = at + QS + n / 4;
      for (let shift = 0; shift < 8; shift += 2) {
        for (const half of [0, 16]) {
          const packed = bytes[at + SCALES + group++]!;
          const dl = f32(d * (packed & 0xf));
          const ml = f32(dmin * (packed >> 4));
          for (let l = 0; l < 16; l++) out[y++] = f32(f32(dl * ((bytes[q + half + l]! >> shift) & 3)) - ml);
        }
      }
    }
  },
};
