import { GgufWriter, llamaMetadata } from '@lm-stack/gguf';
import { type GgmlTypeName, quantizeGgml } from '@lm-stack/quantize';
import { type BpeTokenizer, type ChatTemplate, toJinja } from '@lm-stack/tokenizer';
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

/** [rows, columns] row-major → [columns, rows] row-major. */
function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c]!;
  return out;
}

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
  // GGUF names and row-major shapes ([out, in] for matrices) in llama.cpp's order.
  const tensors: Array<{ name: string; parameter: string; shape: number[]; transposed: boolean }> = [];
  const add = (parameter: string, name: string) => {
    const variable = model.parameters.get(parameter)!;
    const [rows, columns] = variable.shape as [number, number?];
    const matrix = columns !== undefined;
    const isEmbedding = parameter === 'token_embd';
    tensors.push({
      name,
      parameter,
      shape: !matrix ? [rows] : isEmbedding ? [rows, columns!] : [columns!, rows],
      transposed: matrix && !isEmbedding,
    });
  };
  add('token_embd', 'token_embd.weight');
  for (let layer = 0; layer < config.nLayers; layer++)
    for (const part of [
      'attn_norm',
      'attn_q',
      'attn_k',
      'attn_v',
      'attn_output',
      'ffn_norm',
      'ffn_gate',
      'ffn_up',
      'ffn_down',
    ])
      add(`blk.${layer}.${part}`, `blk.${layer}.${part}.weight`);
  add('output_norm', 'output_norm.weight');
  if (!config.tieEmbeddings) add('output', 'output.weight');
  const types = tensors.map((tensor) => typeOf(tensor.name, tensor.shape));
  const matrixTypes = types.filter((_, i) => tensors[i]!.shape.length === 2);
  const mainType =
    matrixTypes.sort(
      (a, b) => matrixTypes.filter((t) => t === b).length - matrixTypes.filter((t) => t === a).length,
    )[0] ?? 'F32';

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
