import type { GgufValue } from './values.js';

/** Hyperparameters of a LLaMA-architecture model, as llama.cpp reads them. */
export interface LlamaHyperparameters {
  readonly name: string;
  readonly contextLength: number;
  readonly embeddingLength: number;
  readonly blockCount: number;
  readonly feedForwardLength: number;
  readonly headCount: number;
  readonly headCountKv: number;
  /** Per-head rotary dimensions; default embeddingLength / headCount. */
  readonly ropeDimensionCount?: number;
  readonly ropeFreqBase: number;
  readonly rmsNormEpsilon: number;
  readonly vocabSize?: number;
  /** llama.cpp `llama_ftype` (0 all F32, 1 mostly F16, 2 Q4_0, 7 Q8_0, 15 Q4_K_M …). */
  readonly fileType: number;
  /** Set for quantized files: `general.quantization_version` (2 since ggml's 2023 format). */
  readonly quantized?: boolean;
}

/**
 * The `general.*` and `llama.*` keys llama.cpp requires, each with the type its loader expects (a key
 * with another type fails to load: e.g. `layer_norm_rms_epsilon` must be f32, `context_length` u32).
 *
 * @example
 * ```ts
 * writer.setMetadataEntries(llamaMetadata({ name: 'tiny', contextLength: 128, embeddingLength: 128, blockCount: 4,
 *   feedForwardLength: 512, headCount: 4, headCountKv: 4, ropeFreqBase: 10000, rmsNormEpsilon: 1e-5, fileType: 0 }));
 * ```
 */
export function llamaMetadata(model: LlamaHyperparameters): Array<[string, GgufValue]> {
  const u32 = (value: number): GgufValue => ({ type: 'u32', value });
  const entries: Array<[string, GgufValue]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: model.name }],
    ['general.file_type', u32(model.fileType)],
    ['llama.context_length', u32(model.contextLength)],
    ['llama.embedding_length', u32(model.embeddingLength)],
    ['llama.block_count', u32(model.blockCount)],
    ['llama.feed_forward_length', u32(model.feedForwardLength)],
    ['llama.rope.dimension_count', u32(model.ropeDimensionCount ?? model.embeddingLength / model.headCount)],
    ['llama.attention.head_count', u32(model.headCount)],
    ['llama.attention.head_count_kv', u32(model.headCountKv)],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: model.rmsNormEpsilon }],
    ['llama.rope.freq_base', { type: 'f32', value: model.ropeFreqBase }],
  ];
  if (model.vocabSize !== undefined) entries.push(['llama.vocab_size', u32(model.vocabSize)]);
  if (model.quantized) entries.push(['general.quantization_version', u32(2)]);
  return entries;
}
