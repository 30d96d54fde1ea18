import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGguf } from '@lm-stack/gguf';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import * as tf from '@tensorflow/tfjs';
import { type ControlledEvaluateInputItem, getLlama, type Llama, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayTokens, MiniGpt, selectBackend, Trainer } from './index.js';
import { exportGguf } from './node.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-gguf-parity-'));
let llama: Llama;
let tokenizer: BpeTokenizer;
let model: MiniGpt;
const TEXT = [
  'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse,',
  'and nothing particular to interest me on shore, I thought I would sail about a little and see the watery',
  'part of the world. It is a way I have of driving off the spleen and regulating the circulation.',
].join(' ');

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  tokenizer = await BpeTokenizer.train([TEXT.repeat(3)], {
    vocabSize: 320,
    specialTokens: ['<|endoftext|>'],
  });
  // A small GQA model, trained a little so its logits are far from uniform.
  await selectBackend('wasm');
  model = new MiniGpt(
    {
      vocabSize: tokenizer.vocabSize,
      contextLength: 64,
      dModel: 64,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 2,
      dFf: 128,
    },
    5,
  );
  const trainer = new Trainer({
    model,
    train: arrayTokens(tokenizer.encode(TEXT.repeat(4))),
    batchSize: 8,
    steps: 60,
    learningRate: 3e-3,
  });
  await trainer.fit();
  trainer.dispose();
  await selectBackend('cpu');
}, 120_000);
afterAll(async () => {
  model.dispose();
  await llama.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** llama.cpp's logits at every position of `ids`, one thread, F32 KV cache. */
async function llamaLogits(path: string, ids: number[]): Promise<Float32Array[]> {
  const loaded = await llama.loadModel({ modelPath: path });
  const context = await loaded.createContext({
    contextSize: 64,
    threads: 1,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
    flashAttention: false,
  });
  const sequence = context.getSequence();
  const input: ControlledEvaluateInputItem[] = ids.map((id) => [
    id as Token,
    { generateNext: { logits: true } },
  ]);
  const output = await sequence.controlledEvaluate(input);
  const rows = output.map((item) => {
    const row = new Float32Array(tokenizer.vocabSize);
    for (const [token, logit] of item!.next.logits!) row[token as number] = logit;
    return row;
  });
  await context.dispose();
  await loaded.dispose();
  return rows;
}

describe('GGUF export', () => {
  it('F32: llama.cpp gives our logits at every position of a 40-token prompt within 1e-4', async () => {
    const path = join(root, 'f32.gguf');
    await exportGguf(model, tokenizer, path, { eos: '<|endoftext|>' });
    const ids = tokenizer.encode(TEXT).slice(0, 40);
    expect(ids.length).toBe(40);
    const ours = tf.tidy(() => model.logits(tf.tensor2d([ids], [1, ids.length], 'int32')).arraySync()[0]!);
    const theirs = await llamaLogits(path, ids);
    let worst = 0;
    const perPosition: number[] = [];
    for (let position = 0; position < ids.length; position++) {
      let row = 0;
      for (let token = 0; token < tokenizer.vocabSize; token++)
        row = Math.max(row, Math.abs(ours[position]![token]! - theirs[position]![token]!));
      perPosition.push(row);
      worst = Math.max(worst, row);
    }
    console.log(perPosition.map((x) => x.toExponential(1)).join(' '));
    console.log(
      `F32 export: max |ours − llama.cpp| over ${ids.length} positions × ${tokenizer.vocabSize} logits = ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThan(1e-4);
    // The file also passes our own reader with the keys llama.cpp needs.
    const file = await readGguf(path);
    expect(file.metadata.get('general.architecture')).toMatchObject({ value: 'llama' });
    expect(file.metadata.get('llama.attention.head_count_kv')).toMatchObject({ type: 'u32', value: 2 });
  }, 60_000);
});
