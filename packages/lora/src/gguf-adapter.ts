import { type GgufFile, type GgufValue, GgufWriter, readGguf, readGgufTensorData } from '@lm-stack/gguf';
import type { MiniGpt } from '@lm-stack/transformer';
import * as tf from '@tensorflow/tfjs';
import { baseModelHash } from './base-hash.js';
import { AdapterFormatError, AdapterMismatchError } from './errors.js';
import { float32Copy } from './float-bytes.js';
import { adaptedMatrices, disposeFactors, LoraAdapter } from './lora-adapter.js';
import { LORA_TARGETS, type LoraTarget } from './lora-config.js';
import { targetOf } from './module-names.js';

/** Options of {@link saveGgufAdapter}. */
export interface SaveGgufAdapterOptions {
  /** `general.name`. Default `lm-stack-lora`. */
  readonly name?: string;
}

/**
 * Saves an adapter as a llama.cpp LoRA GGUF: `general.type = "adapter"`, `adapter.type = "lora"`,
 * `adapter.lora.alpha` (f32: as an integer type it aborts llama.cpp), `general.architecture = "llama"` like
 * the base, and per adapted matrix `<base tensor>.lora_a` (ne = [in, r]) and `.lora_b` (ne = [r, out]) in
 * F32. llama.cpp scales by alpha/r, so an rsLoRA adapter (α/√r) is written with alpha = α·√r. The file is
 * written to a temporary name and renamed into place.
 *
 * @example
 * ```ts
 * await saveGgufAdapter(adapter, 'support-v3.gguf');
 * // llama-cli -m base.gguf --lora support-v3.gguf   (Ollama: ADAPTER ./support-v3.gguf)
 * ```
 */
export async function saveGgufAdapter(
  adapter: LoraAdapter,
  path: string,
  options: SaveGgufAdapterOptions = {},
): Promise<void> {
  const { config } = adapter;
  const writer = new GgufWriter(path);
  const string = (key: string, value: string) => writer.setMetadata(key, { type: 'string', value });
  string('general.architecture', 'llama');
  string('general.type', 'adapter');
  string('general.name', options.name ?? 'lm-stack-lora');
  string('adapter.type', 'lora');
  // llama.cpp: scale = alpha / rank (rank read from lora_a's ne[1])
  writer.setMetadata('adapter.lora.alpha', { type: 'f32', value: adapter.scaling * config.rank });
  // What llama.cpp does not need but a re-import does: the settings as trained, and the base's fingerprint.
  string('lm_stack.base_sha256', adapter.baseHash);
  writer.setMetadata('lm_stack.lora.alpha', { type: 'f32', value: config.alpha });
  writer.setMetadata('lm_stack.lora.rs_lora', { type: 'bool', value: config.rsLora });
  writer.setMetadata('lm_stack.lora.dropout', { type: 'f32', value: config.dropout });
  const tensors: Array<{ name: string; shape: number[]; values: () => Float32Array }> = [];
  for (const [matrix, pair] of adapter.pairs) {
    const [inFeatures, rank] = pair.a.shape as [number, number];
    const outFeatures = pair.b.shape[1]!;
    // Row-major [r, in] is ne = [in, r]; [out, r] is ne = [r, out]: the factors transposed.
    tensors.push(
      {
        name: `${matrix}.weight.lora_a`,
        shape: [rank, inFeatures],
        values: () => tf.tidy(() => pair.a.transpose().dataSync() as Float32Array),
      },
      {
        name: `${matrix}.weight.lora_b`,
        shape: [outFeatures, rank],
        values: () => tf.tidy(() => pair.b.transpose().dataSync() as Float32Array),
      },
    );
  }
  try {
    for (const tensor of tensors) writer.declareTensor(tensor.name, { shape: tensor.shape, type: 'F32' });
    for (const tensor of tensors) await writer.writeTensor(tensor.name, tensor.values());
    await writer.finish();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

function scalar(file: GgufFile, key: string): number | string | boolean | undefined {
  const found = file.metadata.get(key) as GgufValue | undefined;
  if (!found || found.type === 'array') return undefined;
  return typeof found.value === 'bigint' ? Number(found.value) : found.value;
}

const SUFFIX = /^(.*)\.weight\.lora_([ab])$/;

/**
 * Loads a llama.cpp LoRA GGUF onto `base`: ours, or one from llama.cpp's `convert_lora_to_gguf.py` (F32
 * factors) as long as every layer adapts the same matrices. Checks the header keys, the recorded base
 * fingerprint and every shape; a mismatch raises {@link AdapterMismatchError}, a malformed file
 * {@link AdapterFormatError}.
 *
 * @example
 * ```ts
 * const adapter = await loadGgufAdapter('support-v3.gguf', base);
 * ```
 */
export async function loadGgufAdapter(path: string, base: MiniGpt): Promise<LoraAdapter> {
  const file = await readGguf(path);
  if (scalar(file, 'general.type') !== 'adapter' || scalar(file, 'adapter.type') !== 'lora')
    throw new AdapterFormatError(path, 'general.type is not "adapter" or adapter.type is not "lora"');
  const architecture = scalar(file, 'general.architecture');
  if (architecture !== 'llama')
    throw new AdapterMismatchError(
      path,
      `adapter architecture ${JSON.stringify(architecture)} is not the base's "llama"`,
    );
  const recorded = scalar(file, 'lm_stack.base_sha256');
  const hash = baseModelHash(base);
  if (typeof recorded === 'string' && recorded !== hash)
    throw new AdapterMismatchError(
      path,
      `base model sha256 ${recorded.slice(0, 12)}… is not this model's ${hash.slice(0, 12)}…`,
    );
  const fileAlpha = scalar(file, 'adapter.lora.alpha');
  if (typeof fileAlpha !== 'number')
    throw new AdapterFormatError(path, 'adapter.lora.alpha is missing or not a number');
  const tensors = new Map(file.tensors.map((tensor) => [tensor.name, tensor]));
  const targets = new Set<LoraTarget>();
  let rank = 0;
  for (const tensor of file.tensors) {
    const match = SUFFIX.exec(tensor.name);
    if (!match) throw new AdapterFormatError(path, `tensor ${tensor.name} is not <name>.weight.lora_a/b`);
    const target = targetOf(match[1]!);
    if (!LORA_TARGETS.includes(target))
      throw new AdapterFormatError(path, `tensor ${tensor.name} adapts no MiniGPT matrix`);
    targets.add(target);
    if (match[2] === 'a') rank = tensor.dims[1] ?? 0;
  }
  const ours = typeof scalar(file, 'lm_stack.lora.alpha') === 'number';
  // Without our keys: llama.cpp's scale alpha/r (alpha 0 means scale 1, i.e. alpha = r).
  const config = {
    rank,
    alpha: ours ? (scalar(file, 'lm_stack.lora.alpha') as number) : fileAlpha === 0 ? rank : fileAlpha,
    rsLora: ours && scalar(file, 'lm_stack.lora.rs_lora') === true,
    dropout: ours ? (scalar(file, 'lm_stack.lora.dropout') as number) : 0,
    targets: LORA_TARGETS.filter((target) => targets.has(target)),
  };
  const matrices = adaptedMatrices(base, config);
  if (matrices.length * 2 !== file.tensors.length)
    throw new AdapterMismatchError(
      path,
      `${file.tensors.length} tensors, but adapting ${config.targets.join(', ')} in every layer needs ${matrices.length * 2}`,
    );
  const factors = new Map<string, { a: tf.Tensor2D; b: tf.Tensor2D }>();
  const read = async (name: string, ne: [number, number]) => {
    const info = tensors.get(name);
    if (!info) throw new AdapterMismatchError(path, `tensor ${name} is missing`);
    if (info.type !== 'F32')
      throw new AdapterFormatError(path, `tensor ${name} is ${info.type}; F32 is read`);
    if (info.dims.join(',') !== ne.join(','))
      throw new AdapterMismatchError(path, `tensor ${name} has ne [${info.dims}], this base needs [${ne}]`);
    const bytes = await readGgufTensorData(path, file, info);
    return float32Copy(bytes);
  };
  try {
    for (const { name, shape } of matrices) {
      const [inFeatures, outFeatures] = shape;
      const a = await read(`${name}.weight.lora_a`, [inFeatures, rank]);
      const b = await read(`${name}.weight.lora_b`, [rank, outFeatures]);
      factors.set(
        name,
        tf.tidy(() => ({
          a: tf.tensor2d(a, [rank, inFeatures]).transpose() as tf.Tensor2D,
          b: tf.tensor2d(b, [outFeatures, rank]).transpose() as tf.Tensor2D,
        })),
      );
    }
    return LoraAdapter.fromFactors(base, config, hash, factors);
  } catch (error) {
    disposeFactors(factors);
    throw error;
  }
}
