import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, readSafetensorsTensor, SafetensorsWriter } from '@lm-stack/safetensors';
import type { MiniGpt } from '@lm-stack/transformer';
import { syncFolder, writeFileAtomic } from '@lm-stack/transformer/node';
import * as tf from '@tensorflow/tfjs';
import { baseModelHash } from './base-hash.js';
import { AdapterFormatError, AdapterMismatchError, PickleAdapterError } from './errors.js';
import { float32Copy } from './float-bytes.js';
import { adaptedMatrices, disposeFactors, LoraAdapter } from './lora-adapter.js';
import { LORA_TARGETS, type LoraTarget } from './lora-config.js';
import { huggingFaceRowOrder, PEFT_MODULES, peftPrefix } from './module-names.js';

/** safetensors metadata key holding {@link baseModelHash} of the base. */
export const BASE_HASH_KEY = 'lm_stack.base_sha256';

/** Options of {@link savePeftAdapter}. */
export interface SavePeftOptions {
  /** `base_model_name_or_path` in adapter_config.json (e.g. the folder of the Hugging Face export). */
  readonly baseModelName?: string;
}

/**
 * Saves an adapter as a PEFT folder for a Hugging Face `LlamaForCausalLM` base (the transformer package's
 * `exportHuggingFace` writes one): `adapter_config.json` and `adapter_model.safetensors` with PEFT's keys
 * (`base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight` [r, in], `….lora_B.weight` [out, r]),
 * q/k output rows in Hugging Face's rotate-half order like the base export. The folder is built beside the
 * target and renamed into place.
 *
 * @example
 * ```ts
 * await savePeftAdapter(adapter, base, 'support-v3-peft', { baseModelName: 'tiny-hf' });
 * // Python: PeftModel.from_pretrained(LlamaForCausalLM.from_pretrained('tiny-hf'), 'support-v3-peft')
 * ```
 */
export async function savePeftAdapter(
  adapter: LoraAdapter,
  base: MiniGpt,
  directory: string,
  options: SavePeftOptions = {},
): Promise<void> {
  const temporary = `${directory}.partial-${process.pid}`;
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary, { recursive: true });
  const { config } = adapter;
  const adapterConfig = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: options.baseModelName ?? null,
    r: config.rank,
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    use_rslora: config.rsLora,
    target_modules: config.targets.map((target) => PEFT_MODULES.get(target)!),
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
    use_dora: false,
    revision: null,
  };
  writeFileAtomic(join(temporary, 'adapter_config.json'), `${JSON.stringify(adapterConfig, null, 2)}\n`);
  const writer = new SafetensorsWriter(join(temporary, 'adapter_model.safetensors'));
  writer.setMetadata('format', 'pt');
  writer.setMetadata(BASE_HASH_KEY, adapter.baseHash);
  const tensors: Array<{ key: string; shape: number[]; values: () => Float32Array }> = [];
  for (const [matrix, pair] of adapter.pairs) {
    const [inFeatures, rank] = pair.a.shape as [number, number];
    const outFeatures = pair.b.shape[1]!;
    const order = huggingFaceRowOrder(base, matrix);
    tensors.push(
      {
        key: `${peftPrefix(matrix)}.lora_A.weight`,
        shape: [rank, inFeatures],
        values: () => tf.tidy(() => pair.a.transpose().dataSync() as Float32Array),
      },
      {
        key: `${peftPrefix(matrix)}.lora_B.weight`,
        shape: [outFeatures, rank],
        values: () =>
          tf.tidy(() => {
            const rows = pair.b.transpose(); // [out, r]
            return (order ? tf.gather(rows, tf.tensor1d(order, 'int32')) : rows).dataSync() as Float32Array;
          }),
      },
    );
  }
  try {
    for (const tensor of tensors) writer.declareTensor(tensor.key, { dtype: 'F32', shape: tensor.shape });
    for (const tensor of tensors) await writer.writeTensor(tensor.key, tensor.values());
    await writer.finish();
    syncFolder(temporary);
    rmSync(directory, { recursive: true, force: true });
    renameSync(temporary, directory);
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
}

function asRecord(value: unknown): Map<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return new Map(Object.entries(value));
}

/**
 * Loads a PEFT LoRA folder onto `base` (the MiniGPT the adapter was trained for): reads
 * `adapter_config.json` (`peft_type` LORA, `r`, `lora_alpha`, `lora_dropout`, `use_rslora`,
 * `target_modules`) and `adapter_model.safetensors`, undoing the Hugging Face q/k row order. Refuses a
 * pickle-only adapter ({@link PickleAdapterError}), an adapter recorded for another base or with shapes
 * that do not fit ({@link AdapterMismatchError}), and malformed files ({@link AdapterFormatError}).
 *
 * @example
 * ```ts
 * const adapter = await loadPeftAdapter('support-v3-peft', base);
 * ```
 */
export async function loadPeftAdapter(directory: string, base: MiniGpt): Promise<LoraAdapter> {
  const weightsPath = join(directory, 'adapter_model.safetensors');
  if (!existsSync(weightsPath)) {
    for (const pickle of ['adapter_model.bin', 'adapter_model.pt', 'adapter_model.pth'])
      if (existsSync(join(directory, pickle))) throw new PickleAdapterError(join(directory, pickle));
    throw new AdapterFormatError(directory, 'no adapter_model.safetensors');
  }
  const configPath = join(directory, 'adapter_config.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw new AdapterFormatError(configPath, `unreadable (${(error as Error).message})`);
  }
  const record = asRecord(parsed);
  if (!record) throw new AdapterFormatError(configPath, 'not a JSON object');
  if (record.get('peft_type') !== 'LORA')
    throw new AdapterFormatError(
      configPath,
      `peft_type ${JSON.stringify(record.get('peft_type'))} is not "LORA"`,
    );
  const rank = record.get('r');
  const alpha = record.get('lora_alpha');
  if (typeof rank !== 'number' || typeof alpha !== 'number')
    throw new AdapterFormatError(configPath, 'r and lora_alpha must be numbers');
  const modules = record.get('target_modules');
  if (!Array.isArray(modules) || !modules.every((module) => typeof module === 'string'))
    throw new AdapterFormatError(configPath, 'target_modules must be a list of module names');
  const byModule = new Map([...PEFT_MODULES].map(([target, module]) => [module, target]));
  const targets = modules.map((module) => {
    const target = byModule.get(module);
    if (!target)
      throw new AdapterFormatError(
        configPath,
        `target module ${JSON.stringify(module)} is not one of ${[...byModule.keys()].join(', ')}`,
      );
    return target;
  });
  const ordered = LORA_TARGETS.filter((target) => targets.includes(target)) as LoraTarget[];
  const dropout = record.get('lora_dropout');
  const config = {
    rank,
    alpha,
    dropout: typeof dropout === 'number' ? dropout : 0,
    rsLora: record.get('use_rslora') === true,
    targets: ordered,
  };

  const file = readSafetensors(weightsPath);
  const recorded = file.metadata.get(BASE_HASH_KEY);
  const hash = baseModelHash(base);
  if (recorded !== undefined && recorded !== hash)
    throw new AdapterMismatchError(
      weightsPath,
      `base model sha256 ${recorded.slice(0, 12)}… is not this model's ${hash.slice(0, 12)}…`,
    );
  const byKey = new Map(file.tensors.map((tensor) => [tensor.name, tensor]));
  const factors = new Map<string, { a: tf.Tensor2D; b: tf.Tensor2D }>();
  const read = (key: string, shape: [number, number]): Float32Array => {
    const info = byKey.get(key);
    if (!info) throw new AdapterMismatchError(weightsPath, `tensor ${key} is missing`);
    if (info.dtype !== 'F32')
      throw new AdapterFormatError(weightsPath, `tensor ${key} is ${info.dtype}; F32 is read`);
    if (info.shape.join(',') !== shape.join(','))
      throw new AdapterMismatchError(
        weightsPath,
        `tensor ${key} has shape [${info.shape}], this base needs [${shape}]`,
      );
    const bytes = readSafetensorsTensor(weightsPath, file, info);
    return float32Copy(bytes);
  };
  try {
    for (const { name, shape } of adaptedMatrices(base, { ...config, targets: ordered })) {
      const [inFeatures, outFeatures] = shape;
      const a = read(`${peftPrefix(name)}.lora_A.weight`, [rank, inFeatures]); // [r, in]
      const b = read(`${peftPrefix(name)}.lora_B.weight`, [outFeatures, rank]); // [out, r], HF row order
      const order = huggingFaceRowOrder(base, name);
      factors.set(
        name,
        tf.tidy(() => {
          let rows = tf.tensor2d(b, [outFeatures, rank]);
          if (order) {
            // theirs[j] = ours[order[j]], so ours[order[j]] = theirs[j]
            const inverse = new Int32Array(order.length);
            order.forEach((ours, theirs) => {
              inverse[ours] = theirs;
            });
            rows = tf.gather(rows, tf.tensor1d(inverse, 'int32'));
          }
          return {
            a: tf.tensor2d(a, [rank, inFeatures]).transpose() as tf.Tensor2D,
            b: rows.transpose() as tf.Tensor2D,
          };
        }),
      );
    }
    return LoraAdapter.fromFactors(base, config, hash, factors);
  } catch (error) {
    disposeFactors(factors);
    throw error;
  }
}
