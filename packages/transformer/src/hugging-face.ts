import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, readSafetensorsTensor, SafetensorsWriter } from '@lm-stack/safetensors';
import * as tf from '@tensorflow/tfjs';
import { TransformerError } from './errors.js';
import { gatherRows, inverseOrder, transpose } from './matrix-layout.js';
import { MiniGpt } from './mini-gpt.js';

/**
 * A Hugging Face folder cannot become a MiniGPT (not `LlamaForCausalLM`, a missing or misshapen tensor).
 *
 * @example
 * ```ts
 * importHuggingFace('gpt2/'); // HuggingFaceImportError: gpt2/config.json: model_type "gpt2" is not "llama"
 * ```
 */
export class HuggingFaceImportError extends TransformerError {
  override name = 'HuggingFaceImportError';
}

/**
 * Row order of q/k projections between the two RoPE conventions, per head of `headDim` rows: ours and
 * llama.cpp's rotate adjacent pairs (2j, 2j+1); Hugging Face's rotate-half pairs (j, j + headDim/2).
 * Returns, for each Hugging Face row, the row of ours it comes from (llama.cpp's convert_hf_to_gguf.py
 * `permute` is the inverse).
 */
export function rotateHalfRows(heads: number, headDim: number): Int32Array {
  const half = headDim / 2;
  const order = new Int32Array(heads * headDim);
  for (let h = 0; h < heads; h++)
    for (let s = 0; s < 2; s++)
      for (let j = 0; j < half; j++) order[h * headDim + s * half + j] = h * headDim + 2 * j + s;
  return order;
}

/** Hugging Face names of our parameters, and whether the rows get the rotate-half order (q, k). */
function names(model: MiniGpt): Array<{ ours: string; theirs: string; rope?: number }> {
  const { nLayers, nHeads } = model.config;
  const out: Array<{ ours: string; theirs: string; rope?: number }> = [
    { ours: 'token_embd', theirs: 'model.embed_tokens.weight' },
  ];
  for (let i = 0; i < nLayers; i++) {
    const layer = `model.layers.${i}`;
    out.push(
      { ours: `blk.${i}.attn_norm`, theirs: `${layer}.input_layernorm.weight` },
      { ours: `blk.${i}.attn_q`, theirs: `${layer}.self_attn.q_proj.weight`, rope: nHeads },
      { ours: `blk.${i}.attn_k`, theirs: `${layer}.self_attn.k_proj.weight`, rope: model.kvHeads },
      { ours: `blk.${i}.attn_v`, theirs: `${layer}.self_attn.v_proj.weight` },
      { ours: `blk.${i}.attn_output`, theirs: `${layer}.self_attn.o_proj.weight` },
      { ours: `blk.${i}.ffn_norm`, theirs: `${layer}.post_attention_layernorm.weight` },
      { ours: `blk.${i}.ffn_gate`, theirs: `${layer}.mlp.gate_proj.weight` },
      { ours: `blk.${i}.ffn_up`, theirs: `${layer}.mlp.up_proj.weight` },
      { ours: `blk.${i}.ffn_down`, theirs: `${layer}.mlp.down_proj.weight` },
    );
  }
  out.push({ ours: 'output_norm', theirs: 'model.norm.weight' });
  if (!model.config.tieEmbeddings) out.push({ ours: 'output', theirs: 'lm_head.weight' });
  return out;
}

/**
 * Writes a MiniGPT as a Hugging Face `LlamaForCausalLM` folder: `config.json` and `model.safetensors` (F32,
 * PyTorch's [out, in] layout, q/k rows reordered for Hugging Face's rotate-half RoPE), written in a
 * temporary folder and renamed into place.
 *
 * @example
 * ```ts
 * await exportHuggingFace(model, 'tiny-hf'); // transformers: LlamaForCausalLM.from_pretrained('tiny-hf')
 * ```
 */
export async function exportHuggingFace(model: MiniGpt, directory: string): Promise<void> {
  const { config } = model;
  const headDim = config.dModel / config.nHeads;
  const temporary = `${directory}.${process.pid}.partial`;
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary, { recursive: true });
  const hfConfig = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: config.vocabSize,
    hidden_size: config.dModel,
    intermediate_size: config.dFf,
    num_hidden_layers: config.nLayers,
    num_attention_heads: config.nHeads,
    num_key_value_heads: model.kvHeads,
    head_dim: headDim,
    max_position_embeddings: config.contextLength,
    rms_norm_eps: config.normEps,
    rope_theta: config.ropeBase,
    tie_word_embeddings: config.tieEmbeddings,
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
    torch_dtype: 'float32',
  };
  writeFileSync(join(temporary, 'config.json'), `${JSON.stringify(hfConfig, null, 2)}\n`);
  const writer = new SafetensorsWriter(join(temporary, 'model.safetensors'));
  writer.setMetadata('format', 'pt');
  const entries = names(model);
  for (const { ours, theirs } of entries) {
    const shape = model.parameters.get(ours)!.shape;
    const torchShape = shape.length === 1 || ours === 'token_embd' ? shape : [shape[1]!, shape[0]!];
    writer.declareTensor(theirs, { dtype: 'F32', shape: torchShape });
  }
  for (const { ours, theirs, rope } of entries) {
    const variable = model.parameters.get(ours)!;
    const values = (await variable.data()) as Float32Array;
    const [inFeatures, outFeatures] = variable.shape as [number, number];
    const matrix = variable.rank === 2 && ours !== 'token_embd';
    // PyTorch [out, in]; q/k rows in rotate-half order.
    const torch = matrix ? transpose(values, inFeatures, outFeatures) : values;
    await writer.writeTensor(
      theirs,
      rope ? gatherRows(torch, rotateHalfRows(rope, headDim), inFeatures) : torch,
    );
  }
  await writer.finish();
  rmSync(directory, { recursive: true, force: true });
  renameSync(temporary, directory);
}

/**
 * Reads a Hugging Face `LlamaForCausalLM` folder (`config.json` + `model.safetensors`, F32) into a MiniGPT,
 * undoing the rotate-half row order of q and k.
 *
 * @example
 * ```ts
 * const model = importHuggingFace('tiny-hf');
 * ```
 */
export function importHuggingFace(directory: string): MiniGpt {
  const configPath = join(directory, 'config.json');
  const hf = new Map(Object.entries(JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>));
  if (hf.get('model_type') !== 'llama')
    throw new HuggingFaceImportError(
      `${configPath}: model_type ${JSON.stringify(hf.get('model_type'))} is not "llama"`,
    );
  const number = (key: string, fallback?: number) => {
    const value = hf.get(key) ?? fallback;
    if (typeof value !== 'number')
      throw new HuggingFaceImportError(`${configPath}: ${key} is missing or not a number`);
    return value;
  };
  const model = new MiniGpt({
    vocabSize: number('vocab_size'),
    contextLength: number('max_position_embeddings'),
    dModel: number('hidden_size'),
    nLayers: number('num_hidden_layers'),
    nHeads: number('num_attention_heads'),
    nKvHeads: number('num_key_value_heads', number('num_attention_heads')),
    dFf: number('intermediate_size'),
    normEps: number('rms_norm_eps', 1e-6),
    ropeBase: number('rope_theta', 10_000),
    tieEmbeddings: hf.get('tie_word_embeddings') === true,
    allowUnquantizable: true,
  });
  const weightsPath = join(directory, 'model.safetensors');
  try {
    const file = readSafetensors(weightsPath);
    const tensors = new Map(file.tensors.map((tensor) => [tensor.name, tensor]));
    const headDim = model.config.dModel / model.config.nHeads;
    for (const { ours, theirs, rope } of names(model)) {
      const tensor = tensors.get(theirs);
      if (!tensor) throw new HuggingFaceImportError(`${weightsPath}: tensor ${theirs} is missing`);
      if (tensor.dtype !== 'F32')
        throw new HuggingFaceImportError(
          `${weightsPath}: tensor ${theirs} is ${tensor.dtype}, only F32 is read`,
        );
      const variable = model.parameters.get(ours)!;
      const matrix = variable.rank === 2 && ours !== 'token_embd';
      const expected = matrix ? [variable.shape[1]!, variable.shape[0]!] : variable.shape;
      if (tensor.shape.join(',') !== expected.join(','))
        throw new HuggingFaceImportError(
          `${weightsPath}: tensor ${theirs} has shape [${tensor.shape}], the config needs [${expected}]`,
        );
      const bytes = readSafetensorsTensor(weightsPath, file, tensor);
      const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      if (!matrix) {
        variable.assign(tf.tensor(values, variable.shape));
        continue;
      }
      // PyTorch [out, in] → ours [in, out], q/k rows back to adjacent pairs.
      const [inFeatures, outFeatures] = variable.shape as [number, number];
      const torch = rope
        ? gatherRows(values, inverseOrder(rotateHalfRows(rope, headDim)), inFeatures)
        : values;
      variable.assign(tf.tensor2d(transpose(torch, outFeatures, inFeatures), [inFeatures, outFeatures]));
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
