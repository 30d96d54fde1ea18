import { fp16ToFp32, fp32ToFp16 } from '../float16.js';
import { f32, GROUP_MAX_EPS, nearestInt, toInt8 } from '../float32-math.js';
import { type BlockFormat, readU16, writeU16 } from './block-format.js';
import { makeQxQuants } from './k-quant-search.js';

// ggml-common.h: block_q6_K { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; ggml_half d; } = 210 bytes.
const QK_K = 256;
const QL = 0;
const QH = 128;
const SCALES = 192;
const D = 208;

const levels = new Int8Array(QK_K);
const scales = new Float32Array(QK_K / 16);

/**
 * quantize_row_q6_K_ref, or quantize_row_q6_K_impl when `importance` is given (then the raw importance
 * weighs make_qx_quants; everything after the group fit is the same).
 */
function encode(
  x: Float32Array,
  from: number,
  out: Uint8Array,
  at: number,
  importance?: Float32Array,
  importanceFrom = 0,
): void {
  let maxScale = 0;
  let maxAbsScale = 0;
  for (let group = 0; group < QK_K / 16; group++) {
    const scale = importance
      ? makeQxQuants(
          16,
          32,
          x,
          from + 16 * group,
          levels,
          16 * group,
          importance,
          importanceFrom + 16 * group,
        )
      : makeQxQuants(16, 32, x, from + 16 * group, levels, 16 * group);
    scales[group] = scale;
    if (Math.abs(scale) > maxAbsScale) {
      maxAbsScale = Math.abs(scale);
      maxScale = scale;
    }
  }
  if (maxAbsScale < GROUP_MAX_EPS) {
    out.fill(0, at, at + 210);
    return;
  }
  const iscale = f32(-128 / maxScale);
  writeU16(out, at + D, fp32ToFp16(f32(1 / iscale)));
  for (let group = 0; group < QK_K / 16; group++) {
    out[at + SCALES + group] = Math.min(127, nearestInt(f32(iscale * scales[group]!))) & 0xff;
  }
  const d = fp16ToFp32(readU16(out, at + D));
  for (let j = 0; j < QK_K / 16; j++) {
    const scale = f32(d * toInt8(out[at + SCALES + j]!));
    if (scale === 0) continue; // C `!d`: NaN is not zero, so it does not skip
    for (let ii = 0; ii < 16; ii++) {
      const l = nearestInt(f32(x[from + 16 * j + ii]! / scale));
      levels[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
    }
  }
  for (let j = 0; j < QK_K; j += 128) {
    const ql = at + QL + j / 2;
    const qh = at + QH + j / 4;
    for (let l = 0; l < 32; l++) {
      const l0 = levels[j + l]!;
      const l1 = levels[j + l + 32]!;
      const l2 = levels[j + l + 64]!;
      const l3 = levels[j + l + 96]!;
      out[ql + l] = (l0 & 0xf) | ((l2 & 0xf) << 4);
      out[ql + l + 32] = (l1 & 0xf) | ((l3 & 0xf) << 4);
      out[qh + l] = ((l0 >> 4) | ((l1 >> 4) << 2) | ((l2 >> 4) << 4) | ((l3 >> 4) << 6)) & 0xff;
    }
  }
}

/** 6-bit super-blocks: 16 groups of 16 with signed 8-bit scales; x = d·sc·(q - 32). */
export const Q6_K: BlockFormat = {
  name: 'Q6_K',
  id: 14,
  blockSize: QK_K,
  typeSize: 210,
  source: 'ggml-common.h block_q6_K; ggml-quants.c quantize_row_q6_K_ref / dequantize_row_q6_K',
  encodeBlock(x, from, out, at) {
    encode(x, from, out, at);
  },
  encodeBlockWeighted(x, from, out, at, importance, importanceFrom) {
    encode(x, from, out, at, importance, importanceFrom);
  },
  decodeBlock(bytes, at, out, to) {
    const d = fp16ToFp32(readU16(bytes, at + D));
    for (let n = 0; n < QK_K; n += 128) {
      const ql = at + QL + n / 2;
      const qh = at + QH + n / 4;
      const sc = at + SCALES + n / 16;
      const y = to + n;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const high = bytes[qh + l]!;
        const q1 = ((bytes[ql + l]! & 0xf) | ((high & 3) << 4)) - 32;
        const q2 = ((bytes[ql + l + 32]! & 0xf) | (((high >> 2) & 3) << 4)) - 32;
        const q3 = ((bytes[ql + l]! >> 4) | (((high >> 4) & 3) << 4)) - 32;
        const q4 = ((bytes[ql + l + 32]! >> 4) | (((high >> 6) & 3) << 4)) - 32;
        out[y + l] = f32(f32(d * toInt8(bytes[sc + is]!)) * q1);
        out[y + l + 32] = f32(f32(d * toInt8(bytes[sc + is + 2]!)) * q2);
        out[y + l + 64] = f32(f32(d * toInt8(bytes[sc + is + 4]!)) * q3);
        out[y + l + 96] = f32(f32(d * toInt8(bytes[sc + is + 6]!)) * q4);
      }
    }
  },
};
