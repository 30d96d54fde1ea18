import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf } from '@huggingface/gguf';
import { readGguf } from '@lm-stack/gguf';
import { readSafetensors, readSafetensorsTensor } from '@lm-stack/safetensors';
import { MiniGpt } from '@lm-stack/transformer';
import { exportHuggingFace } from '@lm-stack/transformer/node';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterFormatError, AdapterMismatchError, PickleAdapterError } from './errors.js';
import { loadGgufAdapter, saveGgufAdapter } from './gguf-adapter.js';
import { LoraAdapter } from './lora-adapter.js';
import { mergeAdapter } from './merge.js';
import { loadPeftAdapter, savePeftAdapter } from './peft-adapter.js';
import { smallBase } from './testing/fixtures.js';

let base: MiniGpt;
let adapter: LoraAdapter;
const root = mkdtempSync(join(tmpdir(), 'lm-stack-lora-files-'));
const ALL = [
  'attn_q',
  'attn_k',
  'attn_v',
  'attn_output',
  'ffn_gate',
  'ffn_up',
  'ffn_down',
  'output',
] as const;

beforeAll(async () => {
  ({ model: base } = await smallBase({ steps: 5 }));
  adapter = LoraAdapter.create(base, { rank: 4, alpha: 8, targets: [...ALL] }, 3);
  for (const pair of adapter.pairs.values())
    pair.b.assign(tf.tidy(() => tf.randomNormal(pair.b.shape, 0, 0.05, 'float32', 3)));
}, 120_000);
afterAll(() => {
  adapter.dispose();
  base.dispose();
  rmSync(root, { recursive: true, force: true });
});

function expectSameFactors(loaded: LoraAdapter): void {
  expect(loaded.config).toEqual(adapter.config);
  for (const [name, variable] of adapter.parameters)
    expect([...(loaded.parameters.get(name)!.dataSync() as Float32Array)], name).toEqual([
      ...(variable.dataSync() as Float32Array),
    ]);
}

function floats(path: string, name: string): Float32Array {
  const file = readSafetensors(path);
  const bytes = readSafetensorsTensor(path, file, file.tensors.find((tensor) => tensor.name === name)!);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

describe('PEFT adapter folder', () => {
  it('round-trips exactly and has PEFT keys, shapes and config', async () => {
    const folder = join(root, 'peft');
    await savePeftAdapter(adapter, base, folder, { baseModelName: 'tiny-hf' });
    const config = JSON.parse(readFileSync(join(folder, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 8,
      use_rslora: false,
      target_modules: [
        'q_proj',
        'k_proj',
        'v_proj',
        'o_proj',
        'gate_proj',
        'up_proj',
        'down_proj',
        'lm_head',
      ],
    });
    const file = readSafetensors(join(folder, 'adapter_model.safetensors'));
    const shapes = new Map(file.tensors.map((tensor) => [tensor.name, tensor.shape]));
    expect(shapes.size).toBe(2 * (2 * 7 + 1));
    // q_proj: A [r, in] = [4, 64]; k_proj B [out, r] = [kvHeads · headDim, 4] = [32, 4]; lm_head B [vocab, r]
    expect(shapes.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')).toEqual([4, 64]);
    expect(shapes.get('base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight')).toEqual([32, 4]);
    expect(shapes.get('base_model.model.lm_head.lora_B.weight')).toEqual([base.vocabSize, 4]);
    const loaded = await loadPeftAdapter(folder, base);
    expectSameFactors(loaded);
    loaded.dispose();
  });

  it('q/k rows match the Hugging Face export: W_hf + s·B·A equals the export of the merged model', async () => {
    const folder = join(root, 'peft');
    await exportHuggingFace(base, join(root, 'hf-base'));
    const copy = new MiniGpt(base.config);
    for (const [name, variable] of base.parameters) copy.parameters.get(name)!.assign(variable);
    mergeAdapter(copy, adapter);
    await exportHuggingFace(copy, join(root, 'hf-merged'));
    copy.dispose();
    const weights = (name: string) => join(root, name, 'model.safetensors');
    const peft = join(folder, 'adapter_model.safetensors');
    for (const [module, out] of [
      ['self_attn.q_proj', 64],
      ['self_attn.k_proj', 32],
    ] as const) {
      const key = `model.layers.1.${module}`;
      const w = floats(weights('hf-base'), `${key}.weight`); // [out, in]
      const merged = floats(weights('hf-merged'), `${key}.weight`);
      const a = floats(peft, `base_model.model.${key}.lora_A.weight`); // [r, in]
      const b = floats(peft, `base_model.model.${key}.lora_B.weight`); // [out, r]
      let worst = 0;
      for (let row = 0; row < out; row++)
        for (let column = 0; column < 64; column++) {
          let update = 0;
          for (let k = 0; k < 4; k++) update += b[row * 4 + k]! * a[k * 64 + column]!;
          worst = Math.max(
            worst,
            Math.abs(w[row * 64 + column]! + adapter.scaling * update - merged[row * 64 + column]!),
          );
        }
      expect(worst, module).toBeLessThan(1e-6);
    }
  });

  it('refuses a pickle-only adapter, another base, and a wrong peft_type', async () => {
    const pickle = join(root, 'pickle');
    mkdirSync(pickle);
    writeFileSync(join(pickle, 'adapter_model.bin'), Uint8Array.of(0x80, 0x02, 0x7d, 0x71));
    await expect(loadPeftAdapter(pickle, base)).rejects.toThrow(PickleAdapterError);
    const other = new MiniGpt(base.config, 99);
    await expect(loadPeftAdapter(join(root, 'peft'), other)).rejects.toThrow(AdapterMismatchError);
    await expect(loadPeftAdapter(join(root, 'peft'), other)).rejects.toThrow(
      /base model sha256 [0-9a-f]{12}… is not this model's/,
    );
    const wide = new MiniGpt({ ...base.config, dFf: 256 }, 1);
    await expect(loadPeftAdapter(join(root, 'peft'), wide)).rejects.toThrow(AdapterMismatchError);
    other.dispose();
    wide.dispose();
    const config = join(root, 'peft', 'adapter_config.json');
    const original = readFileSync(config, 'utf8');
    writeFileSync(config, original.replace('"LORA"', '"IA3"'));
    await expect(loadPeftAdapter(join(root, 'peft'), base)).rejects.toThrow('peft_type "IA3" is not "LORA"');
    writeFileSync(config, original);
  });
});

describe('GGUF adapter file', () => {
  it('has the keys and tensor layout llama.cpp reads, round-trips exactly, parses with @huggingface/gguf', async () => {
    const path = join(root, 'adapter.gguf');
    await saveGgufAdapter(adapter, path);
    const file = await readGguf(path);
    expect(file.metadata.get('general.type')).toEqual({ type: 'string', value: 'adapter' });
    expect(file.metadata.get('adapter.type')).toEqual({ type: 'string', value: 'lora' });
    expect(file.metadata.get('general.architecture')).toEqual({ type: 'string', value: 'llama' });
    // llama.cpp scales by alpha / r, so alpha is written as s · r = 2 · 4 = 8, as f32
    expect(file.metadata.get('adapter.lora.alpha')).toEqual({ type: 'f32', value: 8 });
    const dims = new Map(file.tensors.map((tensor) => [tensor.name, tensor.dims]));
    expect(dims.get('blk.0.ffn_down.weight.lora_a')).toEqual([128, 4]); // ne = [in, r]
    expect(dims.get('blk.0.ffn_down.weight.lora_b')).toEqual([4, 64]); // ne = [r, out]
    expect(dims.get('output.weight.lora_b')).toEqual([4, base.vocabSize]);
    const parsed = await gguf(path, { allowLocalFile: true });
    expect(parsed.tensorInfos.length).toBe(2 * 15);
    const loaded = await loadGgufAdapter(path, base);
    expectSameFactors(loaded);
    loaded.dispose();
  });

  it('writes an rsLoRA adapter with alpha = α·√r so llama.cpp applies α/√r', async () => {
    const rs = LoraAdapter.create(base, { rank: 16, alpha: 8, rsLora: true }, 1);
    const path = join(root, 'rs.gguf');
    await saveGgufAdapter(rs, path);
    const file = await readGguf(path);
    expect(file.metadata.get('adapter.lora.alpha')).toEqual({ type: 'f32', value: 32 }); // 8 · √16
    const loaded = await loadGgufAdapter(path, base);
    expect(loaded.config).toEqual(rs.config);
    expect(loaded.scaling).toBe(2); // 8 / √16
    loaded.dispose();
    rs.dispose();
  });

  it('refuses another base, a non-adapter file and a truncated file', async () => {
    const other = new MiniGpt(base.config, 99);
    await expect(loadGgufAdapter(join(root, 'adapter.gguf'), other)).rejects.toThrow(AdapterMismatchError);
    other.dispose();
    const bytes = readFileSync(join(root, 'adapter.gguf'));
    writeFileSync(join(root, 'truncated.gguf'), bytes.subarray(0, bytes.length - 100));
    await expect(loadGgufAdapter(join(root, 'truncated.gguf'), base)).rejects.toThrow();
    await expect(loadGgufAdapter(join(root, 'truncated.gguf'), base)).rejects.not.toThrow(AdapterFormatError);
  });
});
