import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BpeTokenizer } from '@lm-stack/tokenizer';
import { MiniGpt } from '@lm-stack/transformer';
import { exportGguf, importGguf } from '@lm-stack/transformer/node';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseModelHash } from './base-hash.js';
import { readChatJsonl, splitChats } from './chat-data.js';
import { LoraConfigError } from './errors.js';
import { fineTune } from './fine-tune.js';
import { LoraAdapter } from './lora-adapter.js';
import { parseLoraConfig } from './lora-config.js';
import { LoraModel } from './lora-model.js';
import { mergeAdapter, unmergeAdapter } from './merge.js';
import { CHAT_FILE, logitsOf, maxAbsDifference, smallBase, TEXT } from './testing/fixtures.js';

let base: MiniGpt;
let tokenizer: BpeTokenizer;
let ids: number[];
const root = mkdtempSync(join(tmpdir(), 'lm-stack-lora-'));

beforeAll(async () => {
  ({ model: base, tokenizer } = await smallBase());
  ids = tokenizer.encode(TEXT).slice(0, 32);
}, 120_000);
afterAll(() => {
  base.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** An adapter on every target with random B, so it changes the output. */
function randomAdapter(seed: number, rank = 4): LoraAdapter {
  const adapter = LoraAdapter.create(
    base,
    {
      rank,
      alpha: 8,
      targets: ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down', 'output'],
    },
    seed,
  );
  for (const pair of adapter.pairs.values())
    pair.b.assign(tf.tidy(() => tf.randomNormal(pair.b.shape, 0, 0.05, 'float32', seed)));
  return adapter;
}

function baseSnapshot(): Map<string, Uint8Array> {
  return new Map(
    [...base.parameters].map(([name, variable]) => {
      const values = variable.dataSync() as Float32Array;
      return [
        name,
        new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
      ];
    }),
  );
}

describe('LoRA adapters', () => {
  it('initialises as PEFT does: A uniform in ±1/√in, B zero, so a new adapter changes nothing', () => {
    const adapter = LoraAdapter.create(base, { rank: 8 });
    // 2 layers × 7 matrices; per matrix r·(in + out) scalars in each of A and B.
    expect(adapter.pairs.size).toBe(14);
    const a = adapter.pairs.get('blk.0.ffn_down')!.a; // in = dFf = 128: bound 1/√128 = 0.0884
    const values = a.dataSync() as Float32Array;
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(128));
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.08); // 1,024 draws reach close to the bound
    expect(
      adapter.pairs
        .get('blk.0.ffn_down')!
        .b.dataSync()
        .every((value) => value === 0),
    ).toBe(true);
    expect(adapter.scaling).toBe(2); // α defaults to 2r: 16 / 8
    const model = new LoraModel(base, [{ adapter }]);
    expect([...logitsOf(model, ids)]).toEqual([...logitsOf(base, ids)]);
    model.dispose();
  });

  it('scales by α/r, or α/√r with rsLoRA', () => {
    expect(LoraAdapter.create(base, { rank: 4, alpha: 8 }).scaling).toBe(2);
    expect(LoraAdapter.create(base, { rank: 4, alpha: 8, rsLora: true }).scaling).toBe(4); // 8 / √4
    expect(() => parseLoraConfig({ rank: 0 })).toThrow('rank 0: must be an integer from 1 to 4096');
    expect(() => parseLoraConfig({ rank: 4, targets: ['attn_x' as never] })).toThrow(LoraConfigError);
  });

  it('merges into the base and back: merged logits equal base + adapter within 1e-5, several adapters with their scales', () => {
    const first = randomAdapter(1);
    const second = randomAdapter(2, 2);
    const before = logitsOf(base, ids);
    const stacked = new LoraModel(base, [{ adapter: first }, { adapter: second, scale: 0.5 }], null);
    const expected = logitsOf(stacked, ids);
    expect(maxAbsDifference(expected, before)).toBeGreaterThan(1e-2); // the adapters do change the output
    mergeAdapter(base, first);
    mergeAdapter(base, second, 0.5);
    const merged = logitsOf(base, ids);
    console.log(`merged vs base + 2 adapters: ${maxAbsDifference(merged, expected).toExponential(2)}`);
    expect(maxAbsDifference(merged, expected)).toBeLessThan(1e-5);
    unmergeAdapter(base, second, 0.5);
    unmergeAdapter(base, first);
    expect(maxAbsDifference(logitsOf(base, ids), before)).toBeLessThan(1e-5);
    stacked.dispose();
  });

  it('refuses an adapter on a head tied to the embedding', async () => {
    const tied = new MiniGpt({ ...base.config, tieEmbeddings: true }, 1);
    expect(() => LoraAdapter.create(tied, { rank: 2, targets: ['output'] })).toThrow(
      'the head is tied to the embedding',
    );
    tied.dispose();
  });

  it('fine-tunes on chat data: only the adapter learns, the base stays bit-identical, nothing leaks', async () => {
    const { train, validation } = splitChats(readChatJsonl(CHAT_FILE), 0.2);
    expect(validation.length).toBeGreaterThan(0);
    const snapshot = baseSnapshot();
    const tensors = tf.memory().numTensors;
    const { adapter, report } = await fineTune({
      base,
      tokenizer,
      train,
      validation: train.slice(0, 4), // memorisation is what a few steps can show
      lora: { rank: 8, targets: ['attn_q', 'attn_v', 'ffn_up', 'ffn_down', 'output'] },
      steps: 30,
      batchSize: 4,
      sequenceLength: 64,
      learningRate: 1e-2,
      runDirectory: join(root, 'run'),
      checkpointEvery: 15,
    });
    for (const [name, bytes] of baseSnapshot()) expect(bytes, name).toEqual(snapshot.get(name));
    console.log(
      `fine-tune: validation loss ${report.validationLoss!.before.toFixed(3)} → ${report.validationLoss!.after.toFixed(3)}, ` +
        `${report.trainableParameters} trainable of ${report.baseParameters} (${((100 * report.trainableParameters) / report.baseParameters).toFixed(1)}%)`,
    );
    expect(report.validationLoss!.after).toBeLessThan(report.validationLoss!.before - 0.5);
    expect(report.trainableParameters).toBe(adapter.parameterCount);
    // 2 layers × (q 64→64, v 64→32, up 64→128, down 128→64) + output 64→384, each r·(in + out), r = 8
    expect(report.trainableParameters).toBe(8 * (2 * (128 + 96 + 192 + 192) + 448));
    adapter.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  }, 120_000);

  it('fine-tunes a base imported from GGUF, recognised as the same base', async () => {
    await exportGguf(base, tokenizer, join(root, 'base.gguf'), { eos: '<|endoftext|>' });
    const imported = await importGguf(join(root, 'base.gguf'));
    expect(baseModelHash(imported.model)).toBe(baseModelHash(base)); // F32 export: the same weights
    const { adapter, report } = await fineTune({
      base: imported.model,
      tokenizer: imported.tokenizer,
      train: readChatJsonl(CHAT_FILE),
      lora: { rank: 4 },
      steps: 5,
      batchSize: 2,
      sequenceLength: 32,
    });
    expect(report.baseHash).toBe(baseModelHash(base));
    expect(Number.isFinite(report.finalTrainLoss)).toBe(true);
    adapter.dispose();
    imported.model.dispose();
  }, 120_000);

  it('resumes a killed fine-tune from its checkpoint to the same adapter', async () => {
    const train = readChatJsonl(CHAT_FILE);
    const run = (steps: number, runDirectory: string) =>
      fineTune({
        base,
        tokenizer,
        train,
        lora: { rank: 4 },
        steps,
        batchSize: 2,
        sequenceLength: 32,
        learningRate: 5e-3,
        runDirectory,
        checkpointEvery: 5,
      });
    const straight = await run(10, join(root, 'straight'));
    const half = await run(5, join(root, 'resumed')); // stops after 5 steps: its checkpoint is step 5
    half.adapter.dispose();
    const resumed = await run(10, join(root, 'resumed'));
    for (const [name, variable] of straight.adapter.parameters)
      expect([...(resumed.adapter.parameters.get(name)!.dataSync() as Float32Array)], name).toEqual([
        ...(variable.dataSync() as Float32Array),
      ]);
    straight.adapter.dispose();
    resumed.adapter.dispose();
  }, 120_000);
});
