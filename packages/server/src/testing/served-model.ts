import { join } from 'node:path';
import { LoraAdapter, saveGgufAdapter } from '@lm-stack/lora';
import { exportGguf } from '@lm-stack/transformer/node';
import * as tf from '@tensorflow/tfjs';
import { smallBase } from '../../../lora/src/testing/fixtures.js';

/** A small trained MiniGPT exported as GGUF with ChatML, and two LoRA adapters that change its answers. */
export async function servedModel(directory: string): Promise<{ base: string; adapters: [string, string] }> {
  const { model, tokenizer, template } = await smallBase({ steps: 30 });
  const base = join(directory, 'tiny-f32.gguf');
  await exportGguf(model, tokenizer, base, { eos: '<|im_end|>', chatTemplate: template });
  const adapters: string[] = [];
  for (const seed of [7, 8]) {
    const adapter = LoraAdapter.create(
      model,
      { rank: 4, alpha: 8, targets: ['attn_q', 'attn_v', 'ffn_down', 'output'] },
      seed,
    );
    for (const pair of adapter.pairs.values())
      pair.b.assign(tf.tidy(() => tf.randomNormal(pair.b.shape, 0, 0.2, 'float32', seed)));
    const path = join(directory, `adapter-${seed}.gguf`);
    await saveGgufAdapter(adapter, path);
    adapter.dispose();
    adapters.push(path);
  }
  model.dispose();
  return { base, adapters: adapters as [string, string] };
}
