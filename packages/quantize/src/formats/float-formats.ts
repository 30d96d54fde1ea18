import { bf16ToFp32, fp16ToFp32, fp32ToBf16, fp32ToFp16 } from '../float16.js';
import { type BlockFormat, readU16, writeU16 } from './block-format.js';

const f32View = new Float32Array(1);
const f32Bytes = new Uint8Array(f32View.buffer);

/** ggml `GGML_TYPE_F32`: little-endian IEEE float32. */
export const F32: BlockFormat = {
  name: 'F32',
  id: 0,
  blockSize: 1,
  typeSize: 4,
  source: 'ggml.c type_traits[GGML_TYPE_F32]: blck_size 1, type_size sizeof(float)',
  encodeBlock(source, from, out, at) {
    f32View[0] = source[from]!;
    out.set(f32Bytes, at);
  },
  decodeBlock(bytes, at, out, to) {
    f32Bytes.set(bytes.subarray(at, at + 4));
    out[to] = f32View[0]!;
  },
};

/** ggml `GGML_TYPE_F16`: IEEE half, rounded to nearest even (`ggml_compute_fp32_to_fp16`). */
export const F16: BlockFormat = {
  name: 'F16',
  id: 1,
  blockSize: 1,
  typeSize: 2,
  source: 'ggml.c type_traits[GGML_TYPE_F16]: blck_size 1, type_size sizeof(ggml_fp16_t)',
  encodeBlock(source, from, out, at) {
    writeU16(out, at, fp32ToFp16(source[from]!));
  },
  decodeBlock(bytes, at, out, to) {
    out[to] = fp16ToFp32(readU16(bytes, at));
  },
};

/** ggml `GGML_TYPE_BF16`: bfloat16, rounded to nearest even (`ggml_compute_fp32_to_bf16`). */
export const BF16: BlockFormat = {
  name: 'BF16',
  id: 30,
  blockSize: 1,
  typeSize: 2,
  source: 'ggml.c type_traits[GGML_TYPE_BF16]: blck_size 1, type_size sizeof(ggml_bf16_t)',
  encodeBlock(source, from, out, at) {
    writeU16(out, at, fp32ToBf16(source[from]!));
  },
  decodeBlock(bytes, at, out, to) {
    out[to] = bf16ToFp32(readU16(bytes, at));
  },
};
