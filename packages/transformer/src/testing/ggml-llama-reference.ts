/**
 * The reference for a quantized llama GGUF: the F32 file's weights (checked against our forward pass to 1e-4
 * on their own) quantized by ggml itself to each tensor's type in the quantized file, run through ggml's
 * llama graph on the CPU build llama.cpp loaded. What llama.cpp computes on a correct export, on any machine.
 */
import { type GgufFile, readGguf, readGgufTensorData } from '@lm-stack/gguf';
import { loadedGgmlCpuVariant } from '../../../../scripts/ggml-cpu-variant.js';
import {
  type GgmlWeight,
  type LlamaGraphAdapter,
  type LlamaGraphRun,
  type LlamaGraphShape,
  llamaGraphLogits,
} from '../../../../scripts/ggml-llama-graph.js';
import { loadGgmlOracle, type OracleTypeName } from '../../../../scripts/ggml-oracle.js';

function numberKey(file: GgufFile, key: string, fallback?: number): number {
  const entry = file.metadata.get(key);
  if (entry === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${key} is missing`);
  }
  return Number(entry.value);
}

/** The hyperparameters llama.cpp reads, from a llama GGUF's metadata. */
export function llamaGraphShape(file: GgufFile): LlamaGraphShape {
  const vocab = file.tensors.find((tensor) => tensor.name === 'token_embd.weight')?.dims[1];
  if (vocab === undefined) throw new Error('token_embd.weight is missing');
  return {
    layers: numberKey(file, 'llama.block_count'),
    heads: numberKey(file, 'llama.attention.head_count'),
    kvHeads: numberKey(file, 'llama.attention.head_count_kv'),
    embedding: numberKey(file, 'llama.embedding_length'),
    vocab,
    rmsEps: numberKey(file, 'llama.attention.layer_norm_rms_epsilon'),
    ropeBase: numberKey(file, 'llama.rope.freq_base', 10_000), // llama.cpp's default
    trainedContext: numberKey(file, 'llama.context_length'),
  };
}

/**
 * ggml's logits for `ids` on the weights of `f32Path` quantized by ggml to the types of `quantizedPath`.
 *
 * @example
 * ```ts
 * const { logits } = await ggmlReferenceLogits('f32.gguf', 'q8_0.gguf', ids, 256);
 * ```
 */
export async function ggmlReferenceLogits(
  f32Path: string,
  quantizedPath: string,
  ids: readonly number[],
  cacheSize: number,
  adapter?: { path: string; scale: number },
): Promise<LlamaGraphRun & { variant: string }> {
  const variant = loadedGgmlCpuVariant();
  if (!variant) throw new Error('no ggml CPU build is loaded: load llama.cpp first');
  const oracle = loadGgmlOracle();
  if (!oracle) throw new Error('node-llama-cpp binaries are not installed');
  const f32 = await readGguf(f32Path);
  const quantized = await readGguf(quantizedPath);
  const types = new Map(quantized.tensors.map((tensor) => [tensor.name, tensor.type as OracleTypeName]));
  const weights = new Map<string, GgmlWeight>();
  for (const tensor of f32.tensors) {
    const type = types.get(tensor.name);
    if (!type) throw new Error(`${quantizedPath} has no tensor ${tensor.name}`);
    if (tensor.type !== 'F32') throw new Error(`${f32Path}: ${tensor.name} is ${tensor.type}, not F32`);
    const raw = await readGgufTensorData(f32Path, f32, tensor);
    const values = new Float32Array(raw.slice().buffer);
    const bytes = type === 'F32' ? raw : oracle.quantize(type, values, tensor.dims[0]!);
    weights.set(tensor.name, { type, dims: tensor.dims, bytes });
  }
  let lora: LlamaGraphAdapter | undefined;
  if (adapter) {
    const file = await readGguf(adapter.path);
    const tensors = new Map<string, GgmlWeight>();
    for (const tensor of file.tensors)
      tensors.set(tensor.name, {
        type: tensor.type as OracleTypeName,
        dims: tensor.dims,
        bytes: await readGgufTensorData(adapter.path, file, tensor),
      });
    lora = { weights: tensors, alpha: numberKey(file, 'adapter.lora.alpha', 0), scale: adapter.scale };
  }
  const run = llamaGraphLogits(variant, llamaGraphShape(f32), weights, ids, cacheSize, lora);
  return { ...run, variant: variant.name };
}
