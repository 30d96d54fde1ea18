import { type GgmlTypeName, ggmlFormat } from './ggml-codec.js';

/** The type a tensor is actually stored in, and why it differs from the request (if it does). */
export interface GgmlTypeChoice {
  readonly requested: GgmlTypeName;
  readonly type: GgmlTypeName;
  /** Set when `type !== requested`: the reason, in words, for the fallback report. */
  readonly reason?: string;
}

/**
 * Fallbacks for rows that are not a whole number of 256-element super-blocks, as llama.cpp's
 * `llama_tensor_get_type` does (src/llama-quant.cpp); Q2_K and Q3_K fall back to Q4_0 here because IQ4_NL,
 * llama.cpp's choice, is not implemented.
 */
const K_FALLBACK = new Map<GgmlTypeName, GgmlTypeName>([
  ['Q2_K', 'Q4_0'],
  ['Q3_K', 'Q4_0'],
  ['Q4_K', 'Q5_0'],
  ['Q5_K', 'Q5_1'],
  ['Q6_K', 'Q8_0'],
]);

/**
 * Chooses the ggml type for a tensor of the given row-major shape (the last dimension is the row, GGUF's
 * `ne[0]`). One-dimensional tensors (norm weights, biases) stay F32, as llama-quantize keeps them; a row
 * that is not whole blocks falls back to a type whose block fits, then to F16, and the reason is reported.
 *
 * @example
 * ```ts
 * chooseGgmlType([4096, 4096], 'Q4_K'); // { requested: 'Q4_K', type: 'Q4_K' }
 * chooseGgmlType([512, 288], 'Q4_K');
 * // { requested: 'Q4_K', type: 'Q5_0', reason: 'row length 288 is not a multiple of Q4_K's block of 256; using Q5_0' }
 * ```
 */
export function chooseGgmlType(shape: readonly number[], requested: GgmlTypeName): GgmlTypeChoice {
  ggmlFormat(requested);
  if (shape.length <= 1 && requested !== 'F32')
    return {
      requested,
      type: 'F32',
      reason: `1-D tensor (shape [${shape.join(', ')}]) stays F32, as llama-quantize keeps norms and biases`,
    };
  const rowLength = shape[shape.length - 1] ?? 1;
  let type = requested;
  const reasons: string[] = [];
  for (;;) {
    const blockSize = ggmlFormat(type).blockSize;
    if (rowLength % blockSize === 0) break;
    const next = K_FALLBACK.get(type) ?? 'F16';
    reasons.push(
      `row length ${rowLength} is not a multiple of ${type}'s block of ${blockSize}; using ${next}`,
    );
    type = next;
  }
  return reasons.length === 0 ? { requested, type } : { requested, type, reason: reasons.join('; then ') };
}
