import { type GgufFile, type GgufValue, readGguf, readGgufTensorData } from '@lm-stack/gguf';
import { dequantizeGgml, GGML_TYPES, type GgmlTypeName } from '@lm-stack/quantize';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import * as tf from '@tensorflow/tfjs';
import { TransformerError } from './errors.js';
import { MiniGpt } from './mini-gpt.js';

/**
 * A GGUF file cannot become a MiniGPT: another architecture, a missing key or tensor, a shape or type that
 * does not fit.
 *
 * @example
 * ```ts
 * await importGguf('phi.gguf'); // GgufImportError: phi.gguf: general.architecture "phi2" is not "llama"
 * ```
 */
export class GgufImportError extends TransformerError {
  override name = 'GgufImportError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

function value(file: GgufFile, path: string, key: string, type: 'number' | 'string'): number | string {
  const found = file.metadata.get(key) as GgufValue | undefined;
  const raw = found && found.type !== 'array' ? found.value : undefined;
  const converted = typeof raw === 'bigint' ? Number(raw) : raw;
  if (typeof converted !== type)
    throw new GgufImportError(path, `metadata ${key} is missing or not a ${type}`);
  return converted as number | string;
}

function list<T>(file: GgufFile, path: string, key: string, item: 'string' | 'number'): T[] {
  const found = file.metadata.get(key) as GgufValue | undefined;
  if (found?.type !== 'array' || !found.value.every((entry) => typeof entry === item))
    throw new GgufImportError(path, `metadata ${key} is missing or not an array of ${item}s`);
  return found.value as T[];
}

/**
 * Reads a `llama`-architecture GGUF file — ours or another (F32, F16, BF16, Q8_0, Q4_0 and the K-quants are
 * dequantized) — into a MiniGPT and its tokenizer, so it can be trained further, fine-tuned or run here.
 * Matrices are transposed back to [in, out]; a file without `output.weight` gets a tied head.
 *
 * @example
 * ```ts
 * const { model, tokenizer } = await importGguf('tiny-q8_0.gguf');
 * ```
 */
export async function importGguf(path: string): Promise<{ model: MiniGpt; tokenizer: BpeTokenizer }> {
  const file = await readGguf(path);
  const architecture = value(file, path, 'general.architecture', 'string');
  if (architecture !== 'llama')
    throw new GgufImportError(path, `general.architecture ${JSON.stringify(architecture)} is not "llama"`);
  const number = (key: string) => value(file, path, `llama.${key}`, 'number') as number;
  const tokenizer = BpeTokenizer.fromGgufFields({
    model: value(file, path, 'tokenizer.ggml.model', 'string') as string,
    pre: file.metadata.has('tokenizer.ggml.pre')
      ? (value(file, path, 'tokenizer.ggml.pre', 'string') as string)
      : 'gpt-2',
    tokens: list<string>(file, path, 'tokenizer.ggml.tokens', 'string'),
    tokenTypes: list<number>(file, path, 'tokenizer.ggml.token_type', 'number'),
    merges: list<string>(file, path, 'tokenizer.ggml.merges', 'string'),
  });
  const tensors = new Map(file.tensors.map((tensor) => [tensor.name, tensor]));
  const dModel = number('embedding_length');
  const nHeads = number('attention.head_count');
  if (file.metadata.has('llama.rope.dimension_count') && number('rope.dimension_count') !== dModel / nHeads)
    throw new GgufImportError(
      path,
      `llama.rope.dimension_count ${number('rope.dimension_count')} is not the head size ${dModel / nHeads} (partial RoPE is not supported)`,
    );
  const model = new MiniGpt({
    vocabSize: tokenizer.vocabSize,
    contextLength: number('context_length'),
    dModel,
    nLayers: number('block_count'),
    nHeads,
    nKvHeads: file.metadata.has('llama.attention.head_count_kv') ? number('attention.head_count_kv') : nHeads,
    dFf: number('feed_forward_length'),
    ropeBase: file.metadata.has('llama.rope.freq_base') ? number('rope.freq_base') : 10_000,
    normEps: number('attention.layer_norm_rms_epsilon'),
    tieEmbeddings: !tensors.has('output.weight'),
    allowUnquantizable: true,
  });
  try {
    for (const [parameter, variable] of model.parameters) {
      const name = `${parameter}.weight`;
      const tensor = tensors.get(name);
      if (!tensor) throw new GgufImportError(path, `tensor ${name} is missing`);
      // ggml ne = [in, out] for matrices (row-major [out, in]); token_embd is [dModel, vocab] = our [vocab, dModel].
      const [rows, columns] = variable.shape as [number, number?];
      const matrix = columns !== undefined && parameter !== 'token_embd';
      const expected = columns === undefined ? [rows] : matrix ? [rows, columns] : [columns, rows];
      if (tensor.dims.join(',') !== expected.join(','))
        throw new GgufImportError(
          path,
          `tensor ${name} has ne [${tensor.dims}], the config needs [${expected}]`,
        );
      if (!GGML_TYPES.some((known) => known.name === tensor.type))
        throw new GgufImportError(
          path,
          `tensor ${name} has type ${tensor.type}, which cannot be dequantized here`,
        );
      const bytes = await readGgufTensorData(path, file, tensor);
      const values = dequantizeGgml(tensor.type as GgmlTypeName, bytes, variable.size);
      variable.assign(
        tf.tidy(() =>
          matrix ? tf.tensor2d(values, [columns!, rows]).transpose() : tf.tensor(values, variable.shape),
        ),
      );
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, tokenizer };
}
