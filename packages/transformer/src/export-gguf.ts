import { GgufWriter, llamaMetadata } from '@lm-stack/gguf';
import { type GgmlTypeName, quantizeGgml } from '@lm-stack/quantize';
import { type BpeTokenizer, type ChatTemplate, toJinja } from '@lm-stack/tokenizer';
import { transpose } from './matrix-layout.js';
import type { MiniGpt } from './mini-gpt.js';

/** A tensor type for the export: one for all weight matrices, or chosen per tensor. */
export type GgufTensorTypes = GgmlTypeName | ((name: string, shape: readonly number[]) => GgmlTypeName);

/** Options of {@link exportGguf}. */
export interface GgufExportOptions {
  /** `general.name`. Default `'lm-stack-minigpt'`. */
  readonly name?: string;
  /** Type of the weight matrices (norms stay F32). Default `'F32'`. */
  readonly types?: GgufTensorTypes;
  /** Special tokens for BOS / EOS / end of turn, and whether llama.cpp adds BOS. */
  readonly bos?: string;
  readonly eos?: string;
  readonly eot?: string;
  readonly addBos?: boolean;
  /**
   * The chat template the model was trained with: written as Jinja (`tokenizer.chat_template`), and its
   * end-of-turn token as `eot` so llama.cpp stops generating there. A string is written as given.
   */
  readonly chatTemplate?: ChatTemplate | string;
}

/** llama.cpp's `llama_ftype` for a file whose matrices are mostly of one type (llama.h). */
const FILE_TYPE = new Map<string, number>([
  ['F32', 0],
  ['F16', 1],
  ['Q4_0', 2],
  ['Q4_1', 3],
  ['Q8_0', 7],
  ['Q5_0', 8],
  ['Q5_1', 9],
  ['Q2_K', 10],
  ['Q3_K', 12],
  ['Q4_K', 15],
  ['Q5_K', 17],
  ['Q6_K', 18],
  ['BF16', 32],
]);

/**
 * Writes a MiniGPT and its tokenizer as a GGUF file of architecture `llama` that llama.cpp and Ollama load:
 * the hyperparameters with the types llama.cpp expects, the tokenizer (`gpt2` model, byte-unicode tokens,
 * token types, merges, special ids, chat template), and the tensors under llama.cpp's names. Our matrices
 * are stored [in, out]; GGUF wants ne = [in, out] too, which row-major is [out, in], so they are
 * transposed; RoPE already uses llama.cpp's pair convention, so q and k need no permutation. Norms are
 * F32; the matrices take `types` (F32, F16, or a ggml quantized type through `@lm-stack/quantize`).
 *
 * @example
 * ```ts
 * await exportGguf(model, tokenizer, 'tiny-q8_0.gguf', { types: 'Q8_0', eos: '<|endoftext|>' });
 * ```
 */
export async function exportGguf(
  model: MiniGpt,
  tokenizer: BpeTokenizer,
  path: string,
  options: GgufExportOptions = {},
): Promise<{ readonly tensors: Array<{ name: string; type: GgmlTypeName; shape: number[] }> }> {
  const { config } = model;
  const typeOf = (name: string, shape: readonly number[]): GgmlTypeName =>
    shape.length === 1
      ? 'F32'
      : typeof options.types === 'function'
        ? options.types(name, shape)
        : (options.types ?? 'F32');
  // The parameters already carry llama.cpp's names, in its order. Row-major shapes: [out, in] for matrices,
  // which are stored [in, out] here and so transposed; the embedding is [vocab, dModel] in both.
  const tensors = [...model.parameters].map(([parameter, variable]) => {
    const [rows, columns] = variable.shape as [number, number?];
    const transposed = columns !== undefined && parameter !== 'token_embd';
    const shape = columns === undefined ? [rows] : transposed ? [columns, rows] : [rows, columns];
    return { name: `${parameter}.weight`, parameter, shape, transposed };
  });
  const types = tensors.map((tensor) => typeOf(tensor.name, tensor.shape));
  // llama.cpp's file type names the most common matrix type.
  const counts = new Map<GgmlTypeName, number>();
  types.forEach((type, i) => {
    if (tensors[i]!.shape.length === 2) counts.set(type, (counts.get(type) ?? 0) + 1);
  });
  const mainType = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'F32';

  const writer = new GgufWriter(path);
  writer.setMetadataEntries(
    llamaMetadata({
      name: options.name ?? 'lm-stack-minigpt',
      contextLength: config.contextLength,
      embeddingLength: config.dModel,
      blockCount: config.nLayers,
      feedForwardLength: config.dFf,
      headCount: config.nHeads,
      headCountKv: model.kvHeads,
      ropeFreqBase: config.ropeBase,
      rmsNormEpsilon: config.normEps,
      vocabSize: config.vocabSize,
      fileType: FILE_TYPE.get(mainType) ?? 0,
      quantized: mainType !== 'F32' && mainType !== 'F16' && mainType !== 'BF16',
    }),
  );
  const fields = tokenizer.toGgufFields({
    ...(options.bos ? { bos: options.bos } : {}),
    ...(options.eos ? { eos: options.eos } : {}),
    ...(options.eot
      ? { eot: options.eot }
      : typeof options.chatTemplate === 'object'
        ? { eot: options.chatTemplate.endOfTurn }
        : {}),
    addBos: options.addBos ?? false,
    ...(options.chatTemplate
      ? {
          chatTemplate:
            typeof options.chatTemplate === 'string' ? options.chatTemplate : toJinja(options.chatTemplate),
        }
      : {}),
  });
  if (fields.tokens.length !== config.vocabSize)
    throw new RangeError(`the tokenizer has ${fields.tokens.length} tokens, the model ${config.vocabSize}`);
  writer.setMetadata('tokenizer.ggml.model', { type: 'string', value: fields.model });
  writer.setMetadata('tokenizer.ggml.pre', { type: 'string', value: fields.pre });
  writer.setMetadata('tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: fields.tokens });
  writer.setMetadata('tokenizer.ggml.token_type', {
    type: 'array',
    itemType: 'i32',
    value: fields.tokenTypes,
  });
  writer.setMetadata('tokenizer.ggml.merges', { type: 'array', itemType: 'string', value: fields.merges });
  const id = (key: string, value: number | undefined) =>
    value !== undefined && writer.setMetadata(key, { type: 'u32', value });
  id('tokenizer.ggml.bos_token_id', fields.bosTokenId);
  id('tokenizer.ggml.eos_token_id', fields.eosTokenId);
  id('tokenizer.ggml.eot_token_id', fields.eotTokenId);
  id('tokenizer.ggml.padding_token_id', fields.padTokenId);
  writer.setMetadata('tokenizer.ggml.add_bos_token', { type: 'bool', value: fields.addBosToken });
  if (fields.chatTemplate)
    writer.setMetadata('tokenizer.chat_template', { type: 'string', value: fields.chatTemplate });

  for (const [i, tensor] of tensors.entries())
    writer.declareTensor(tensor.name, { shape: tensor.shape, type: types[i]! });
  for (const [i, tensor] of tensors.entries()) {
    const variable = model.parameters.get(tensor.parameter)!;
    let values = (await variable.data()) as Float32Array;
    if (tensor.transposed) values = transpose(values, variable.shape[0]!, variable.shape[1]!);
    const type = types[i]!;
    await writer.writeTensor(
      tensor.name,
      type === 'F32' || type === 'F16' || type === 'BF16' ? values : quantizeGgml(type, values),
    );
  }
  await writer.finish();
  return {
    tensors: tensors.map((tensor, i) => ({ name: tensor.name, type: types[i]!, shape: tensor.shape })),
  };
}
