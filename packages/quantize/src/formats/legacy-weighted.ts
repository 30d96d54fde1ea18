// ggml-quants.c quantize_row_q4_0_impl … quantize_row_q5_1_impl: the 32-element formats with an importance
// matrix. Each element is weighted by qw·sqrt(σ² + x²), σ² being the row's mean square.
import { fp32ToFp16 } from '../float16.js';
import { f32 } from '../float32-math.js';
import { writeU16 } from './block-format.js';
import { makeQkx3Quants, makeQxQuants, type ScaleAndMin } from './k-quant-search.js';

const QK = 32;
const weight = new Float32Array(QK);
const signedLevels = new Int8Array(QK);
const levels = new Uint8Array(QK);
const scratch = new Uint8Array(QK);
const fit: ScaleAndMin = { scale: 0, min: 0 };

function fillWeights(
  x: Float32Array,
  from: number,
  importance: Float32Array,
  importanceFrom: number,
  sigma2: number,
): void {
  for (let j = 0; j < QK; j++) {
    const value = x[from + j]!;
    weight[j] = f32(importance[importanceFrom + j]! * f32(Math.sqrt(f32(sigma2 + f32(value * value)))));
  }
}

/** Low nibbles hold elements 0–15, high nibbles 16–31 (block_q4_0/q4_1 `qs`). */
function packNibbles(values: ArrayLike<number>, out: Uint8Array, at: number): void {
  for (let j = 0; j < QK / 2; j++) out[at + j] = (values[j]! | (values[j + 16]! << 4)) & 0xff;
}

/** Low 4 bits as in {@link packNibbles} at `qsAt`, the fifth bits as a little-endian u32 at `qhAt`. */
function packFiveBits(values: ArrayLike<number>, out: Uint8Array, qhAt: number, qsAt: number): void {
  let qh = 0;
  for (let j = 0; j < QK / 2; j++) {
    const xi0 = values[j]! & 0xff;
    const xi1 = values[j + 16]! & 0xff;
    out[qsAt + j] = (xi0 & 0x0f) | ((xi1 & 0x0f) << 4);
    qh |= ((xi0 & 0x10) >> 4) << j;
    qh |= ((xi1 & 0x10) >> 4) << (j + QK / 2);
  }
  writeU16(out, qhAt, qh & 0xffff);
  writeU16(out, qhAt + 2, (qh >>> 16) & 0xffff);
}

type Pack = (values: ArrayLike<number>, out: Uint8Array, at: number) => void;
type WeightedEncoder = (
  x: Float32Array,
  from: number,
  out: Uint8Array,
  at: number,
  importance: Float32Array,
  importanceFrom: number,
  sigma2: number,
) => void;

/** Q4_0 / Q5_0: symmetric levels from make_qx_quants, d at the block start, quants after `quantsAt`. */
function symmetricWeighted(nmax: number, pack: Pack): WeightedEncoder {
  return (x, from, out, at, importance, importanceFrom, sigma2) => {
    fillWeights(x, from, importance, importanceFrom, sigma2);
    writeU16(out, at, fp32ToFp16(makeQxQuants(QK, nmax, x, from, signedLevels, 0, weight)));
    pack(signedLevels, out, at + 2);
  };
}

/** Q4_1 / Q5_1: make_qkx3_quants levels, then d and m (the negated fitted minimum). */
function affineWeighted(nmax: number, pack: Pack): WeightedEncoder {
  return (x, from, out, at, importance, importanceFrom, sigma2) => {
    fillWeights(x, from, importance, importanceFrom, sigma2);
    makeQkx3Quants(QK, nmax, x, from, weight, levels, 0, scratch, -0.9, f32(0.05), 36, fit);
    writeU16(out, at, fp32ToFp16(fit.scale));
    writeU16(out, at + 2, fp32ToFp16(-fit.min));
    pack(levels, out, at + 4);
  };
}

const packQ5: Pack = (values, out, at) => packFiveBits(values, out, at, at + 4);

export const encodeQ4_0Weighted = symmetricWeighted(8, packNibbles);
export const encodeQ4_1Weighted = affineWeighted(15, packNibbles);
export const encodeQ5_0Weighted = symmetricWeighted(16, packQ5);
export const encodeQ5_1Weighted = affineWeighted(31, packQ5);
