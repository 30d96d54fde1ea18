import {
  dequantizeGgml,
  fp16ToFp32,
  fp32ToFp16,
  type GgmlTypeName,
  quantizeGgml,
  UnsupportedTypeError,
} from '@lm-stack/quantize';
import * as tf from '@tensorflow/tfjs';
import type { GgufTensorTypes } from './export-gguf.js';
import type { ForwardOptions } from './language-model.js';
import { MiniGpt } from './mini-gpt.js';

// ggml-common.h: QK8_0 = 32 values per Q8_0 block.
const Q8_BLOCK = 32;
/** Weight types whose matmul ggml's CPU runs against Q8_0 activations (type_traits_cpu: vec_dot_type). */
const Q8_0_ACTIVATIONS = new Set<GgmlTypeName>(['Q8_0', 'Q4_0', 'Q5_0']);

/**
 * Activations as ggml's x86 CPU backend quantizes them before a matmul with a Q8_0/Q4_0/Q5_0 weight
 * (ggml-cpu quants.c, quantize_row_q8_0 with AVX2): per 32-value block, d = amax / 127 stored as F16, the
 * values scaled by 127 / amax in float32 and rounded half to even (_mm256_round_ps), unlike the reference
 * quantizer (x · (1/d), roundf). Returns the dequantized values q · f16(d).
 */
function q8_0Activations(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let block = 0; block < values.length; block += Q8_BLOCK) {
    let amax = 0;
    for (let i = block; i < block + Q8_BLOCK; i++) amax = Math.max(amax, Math.abs(values[i]!));
    const d = fp16ToFp32(fp32ToFp16(Math.fround(amax / 127)));
    const scale = amax !== 0 ? Math.fround(127 / amax) : 0;
    for (let i = block; i < block + Q8_BLOCK; i++) {
      const scaled = Math.fround(values[i]! * scale);
      let q = Math.round(scaled);
      if (Math.abs(scaled % 1) === 0.5 && q % 2 !== 0) q -= 1; // half to even
      out[i] = q * d;
    }
  }
  return out;
}

/**
 * RMSNorm as ggml's CPU computes it (ggml-cpu ops.cpp, ggml_compute_forward_rms_norm_f32, then the multiply
 * by the weight): squares rounded to float32 but summed in double, mean and 1 / sqrtf(mean + eps) in float32,
 * x · scale then · weight. tfjs sums in float32 and can leave a row's largest value one ulp off, which is
 * enough to move amax / 127 across an F16 rounding midpoint and change a whole Q8_0 activation block's scale.
 */
function ggmlRmsNorm(x: tf.Tensor, weight: tf.Tensor1D, eps: number): tf.Tensor {
  const width = x.shape[x.shape.length - 1]!;
  const values = x.dataSync() as Float32Array;
  const gains = weight.dataSync() as Float32Array;
  const out = new Float32Array(values.length);
  for (let row = 0; row < values.length; row += width) {
    let sum = 0; // double, as ggml_float
    for (let i = row; i < row + width; i++) sum += Math.fround(values[i]! * values[i]!);
    const scale = Math.fround(1 / Math.fround(Math.sqrt(Math.fround(Math.fround(sum / width) + eps))));
    for (let i = row; i < row + width; i++)
      out[i] = Math.fround(Math.fround(values[i]! * scale) * gains[i - row]!);
  }
  return tf.tensor(out, x.shape);
}

/** How ggml rounds the activations entering a matmul with a weight of this type; null when it does not. */
function activationRounding(type: GgmlTypeName): ((values: Float32Array) => Float32Array) | null {
  if (type === 'F32') return null;
  if (type === 'F16') return (values) => values.map((value) => fp16ToFp32(fp32ToFp16(value)));
  if (Q8_0_ACTIVATIONS.has(type)) return q8_0Activations;
  throw new UnsupportedTypeError(
    type,
    'has no CPU-arithmetic reference here (F32, F16, Q8_0, Q4_0 and Q5_0 do; Q4_1/Q5_1 and the K-quants round activations differently)',
  );
}

/**
 * What llama.cpp's x86 CPU backend computes for `model` exported with `exportGguf(..., { types })`, as a
 * MiniGPT forward pass: a copy of the model with every matrix rounded through its GGUF type, and forward
 * options that round the activations entering each matmul the way ggml does (Q8_0 blocks for Q8_0/Q4_0/Q5_0
 * weights, F16 for F16 weights) and compute RMSNorm with ggml's double-precision sum. Logits of
 * `reference.model.logits(ids, reference.options)` match llama.cpp (one thread, F32 KV cache) to ~1e-6 on the
 * quantized file, so a difference larger than that is a bug in the export rather than quantization noise.
 * The caller disposes `reference.model`. Reads tensor data synchronously: for tests and audits, not serving.
 *
 * @example
 * ```ts
 * await exportGguf(model, tokenizer, 'tiny-q8_0.gguf', { types: 'Q8_0', eos: '<|endoftext|>' });
 * const reference = llamaCppCpuReference(model, 'Q8_0');
 * const expected = reference.model.logits(tf.tensor2d([ids], [1, ids.length], 'int32'), reference.options);
 * reference.model.dispose();
 * ```
 */
export function llamaCppCpuReference(
  model: MiniGpt,
  types: GgufTensorTypes = 'F32',
): { model: MiniGpt; options: ForwardOptions } {
  const reference = new MiniGpt(model.config);
  const typeByName = new Map<string, GgmlTypeName>();
  for (const [name, variable] of model.parameters) {
    const target = reference.parameters.get(name)!;
    if (variable.rank !== 2) {
      target.assign(variable);
      continue;
    }
    // GGUF rows: the embedding is stored as it is, [vocab, dModel]; the other matrices transposed, [out, in].
    const [rows, columns] = variable.shape as [number, number];
    const embedding = name === 'token_embd';
    const shape = embedding ? [rows, columns] : [columns, rows];
    const type = typeof types === 'function' ? types(`${name}.weight`, shape) : types;
    typeByName.set(name, type);
    if (type === 'F32') {
      target.assign(variable);
      continue;
    }
    const values = tf.tidy(() => (embedding ? variable : variable.transpose()).dataSync() as Float32Array);
    const rounded = dequantizeGgml(type, quantizeGgml(type, values), values.length);
    target.assign(
      tf.tidy(() =>
        embedding ? tf.tensor2d(rounded, [rows, columns]) : tf.tensor2d(rounded, [columns, rows]).transpose(),
      ),
    );
  }
  // The embedding is a row lookup, not a matmul; a tied head is the embedding matrix in its stored type.
  const roundingByName = new Map<string, ((values: Float32Array) => Float32Array) | null>();
  for (const [name, type] of typeByName)
    if (name !== 'token_embd') roundingByName.set(name, activationRounding(type));
  if (!typeByName.has('output'))
    roundingByName.set('output', activationRounding(typeByName.get('token_embd')!));
  const activations = (rows: tf.Tensor2D, name: string): tf.Tensor2D => {
    const round = roundingByName.get(name);
    return round ? tf.tensor2d(round(rows.dataSync() as Float32Array), rows.shape) : rows;
  };
  return { model: reference, options: { activations, rmsNorm: ggmlRmsNorm } };
}
