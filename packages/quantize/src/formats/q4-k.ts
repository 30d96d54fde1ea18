import { f32 } from '../float32-math.js';
import type { BlockFormat } from './block-format.js';
import { encodeScaleMin, encodeScaleMinWeighted, groupScaleMin } from './k-scale-min.js';

// ggml-common.h: block_q4_K { ggml_half d, dmin; uint8_t scales[12]; uint8_t qs[128]; } = 144 bytes.
const QK_K = 256;
const QS = 16;
const levels = new Uint8Array(QK_K);

/** Packs the levels (0..15) into the block's quant bytes. */
function packLevels(out: Uint8Array, at: number): void {
  for (let j = 0; j < QK_K; j += 64) {
    for (let l = 0; l < 32; l++) out[at + QS + j / 2 + l] = levels[j + l]! | (levels[j + l + 32]! << 4);
  }
}

/** 4-bit super-blocks: 8 groups of 32 with 6-bit scales and mins; x = d·sc·q - dmin·m. */
export const Q4_K: BlockFormat = {
  name: 'Q4_K',
  id: 12,
  blockSize: QK_K,
  typeSize: 144,
  source: 'ggml-common.h block_q4_K; ggml-quants.c quantize_row_q4_K_ref / dequantize_row_q4_K',
  encodeBlock(x, from, out, at) {
    encodeScaleMin(x, from, out, at, levels, { nmax: 15, rmin: -1, steps: 20 });
    packLevels(out, at);
  },
  encodeBlockWeighted(x, from, out, at, importance, importanceFrom) {
    encodeScaleMinWeighted(x, from, out, at, levels, 15, importance, importanceFrom, false);
    packLevels(out, at);
  },
  decodeBlock(bytes, at, out, to) {
    let y = to;
    for (let j = 0, group = 0; j < QK_K; j += 64, group += 2) {
      const low = groupScaleMin(bytes, at, group);
      const high = groupScaleMin(bytes, at, group + 1);
      const q = at + QS + j / 2;
      for (let l = 0; l < 32; l++) out[y++] = f32(f32(low.scale * (bytes[q + l]! & 0xf)) - low.min);
      for (let l = 0; l < 32; l++) out[y++] = f32(f32(high.scale * (bytes[q + l]! >> 4)) - high.min);
    }
  },
};
