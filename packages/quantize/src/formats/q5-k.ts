import { f32 } from '../float32-math.js';
import type { BlockFormat } from './block-format.js';
import { encodeScaleMin, encodeScaleMinWeighted, groupScaleMin } from './k-scale-min.js';

// ggml-common.h: block_q5_K { ggml_half d, dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } = 176 bytes.
const QK_K = 256;
const QH = 16;
const QS = 48;
const levels = new Uint8Array(QK_K);

/** Packs the levels (0..31) into the block's quant bytes. */
function packLevels(out: Uint8Array, at: number): void {
  out.fill(0, at + QH, at + QH + 32);
  let bit1 = 1;
  let bit2 = 2;
  for (let n = 0; n < QK_K; n += 64) {
    for (let j = 0; j < 32; j++) {
      let l1 = levels[n + j]!;
      if (l1 > 15) {
        l1 -= 16;
        out[at + QH + j] = out[at + QH + j]! | bit1;
      }
      let l2 = levels[n + j + 32]!;
      if (l2 > 15) {
        l2 -= 16;
        out[at + QH + j] = out[at + QH + j]! | bit2;
      }
      out[at + QS + n / 2 + j] = l1 | (l2 << 4);
    }
    bit1 <<= 2;
    bit2 <<= 2;
  }
}

/** 5-bit super-blocks: like Q4_K with the fifth bit of each q in qh. */
export const Q5_K: BlockFormat = {
  name: 'Q5_K',
  id: 13,
  blockSize: QK_K,
  typeSize: 176,
  source: 'ggml-common.h block_q5_K; ggml-quants.c quantize_row_q5_K_ref / dequantize_row_q5_K',
  encodeBlock(x, from, out, at) {
    encodeScaleMin(x, from, out, at, levels, { nmax: 31, rmin: -0.5, steps: 15 });
    packLevels(out, at);
  },
  encodeBlockWeighted(x, from, out, at, importance, importanceFrom) {
    encodeScaleMinWeighted(x, from, out, at, levels, 31, importance, importanceFrom, true);
    packLevels(out, at);
  },
  decodeBlock(bytes, at, out, to) {
    let y = to;
    let bit1 = 1;
    let bit2 = 2;
    for (let j = 0, group = 0; j < QK_K; j += 64, group += 2) {
      const low = groupScaleMin(bytes, at, group);
      const high = groupScaleMin(bytes, at, group + 1);
      const q = at + QS + j / 2;
      for (let l = 0; l < 32; l++) {
        const value = (bytes[q + l]! & 0xf) + (bytes[at + QH + l]! & bit1 ? 16 : 0);
        out[y++] = f32(f32(low.scale * value) - low.min);
      }
      for (let l = 0; l < 32; l++) {
        const value = (bytes[q + l]! >> 4) + (bytes[at + QH + l]! & bit2 ? 16 : 0);
        out[y++] = f32(f32(high.scale * value) - high.min);
      }
      bit1 <<= 2;
      bit2 <<= 2;
    }
  },
};
