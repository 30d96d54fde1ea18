import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf } from '@huggingface/gguf';
import { GgufWriter, readGguf } from '@lm-stack/gguf';
import { dequantizeGgml, quantizeGgml } from '@lm-stack/quantize';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import * as tf from '@tensorflow/tfjs';
import { type ControlledEvaluateInputItem, getLlama, type Llama, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayTokens, generate, MiniGpt, selectBackend, Trainer } from './index.js';
import { exportGguf, GgufImportError, importGguf } from './node.js';

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
      contextLength: 128,
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

/**
 * Activations as ggml's x86 CPU backend rounds them before a quantized matmul (ggml-cpu quants.c,
 * quantize_row_q8_0 with AVX2): per 32-value block, d = amax / 127 stored as F16, but the values are scaled
 * by 127 / amax in float32 and rounded half to even (_mm256_round_ps), unlike the reference quantizer
 * (x · (1/d), roundf). The dequantized value is q · f16(d).
 */
function cpuQ8Activations(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let block = 0; block < values.length; block += 32) {
    let amax = 0;
    for (let i = block; i < block + 32; i++) amax = Math.max(amax, Math.abs(values[i]!));
    const d = dequantizeGgml('F16', quantizeGgml('F16', Float32Array.of(Math.fround(amax / 127))), 1)[0]!;
    const scale = amax !== 0 ? Math.fround(127 / amax) : 0;
    for (let i = block; i < block + 32; i++) {
      const scaled = Math.fround(values[i]! * scale);
      let q = Math.round(scaled);
      if (Math.abs(scaled % 1) === 0.5 && q % 2 !== 0) q -= 1; // half to even
      out[i] = q * d;
    }
  }
  return out;
}

/** llama.cpp's logits at every position of `ids`, one thread, F32 KV cache. */
async function llamaLogits(path: string, ids: number[]): Promise<Float32Array[]> {
  const loaded = await llama.loadModel({ modelPath: path });
  const context = await loaded.createContext({
    contextSize: 128,
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
    for (let position = 0; position < ids.length; position++)
      for (let token = 0; token < tokenizer.vocabSize; token++)
        worst = Math.max(worst, Math.abs(ours[position]![token]! - theirs[position]![token]!));
    console.log(
      `F32 export: max |ours − llama.cpp| over ${ids.length} positions × ${tokenizer.vocabSize} logits = ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThan(1e-4);
    // The file also passes our own reader with the keys llama.cpp needs.
    const file = await readGguf(path);
    expect(file.metadata.get('general.architecture')).toMatchObject({ value: 'llama' });
    expect(file.metadata.get('llama.attention.head_count_kv')).toMatchObject({ type: 'u32', value: 2 });
  }, 60_000);

  it('F32: 64 greedy tokens from an 8-token prompt are the ones llama.cpp picks at every step', async () => {
    const path = join(root, 'f32.gguf');
    const prompt = tokenizer.encode(TEXT).slice(0, 8);
    const generated: number[] = [];
    for await (const { id } of generate(model, tokenizer, prompt, { temperature: 0, maxTokens: 64 }))
      if (id >= 0) generated.push(id);
    expect(generated.length).toBe(64);
    // llama.cpp's argmax after each prefix of prompt + generated: the same tokens means the same greedy run.
    const theirs = await llamaLogits(path, [...prompt, ...generated.slice(0, -1)]);
    const picks = theirs.slice(prompt.length - 1).map((row) => row.indexOf(Math.max(...row)));
    expect(picks).toEqual(generated);
  }, 60_000);

  it('Q8_0 and Q4_0: llama.cpp runs the quantized file close to our forward pass on the same rounded weights', async () => {
    const ids = tokenizer.encode(TEXT).slice(0, 40);
    const reference = tf.tidy(
      () => model.logits(tf.tensor2d([ids], [1, ids.length], 'int32')).arraySync()[0]!,
    );
    for (const type of ['Q8_0', 'Q4_0'] as const) {
      const path = join(root, `${type}.gguf`);
      const { tensors } = await exportGguf(model, tokenizer, path, { types: type, eos: '<|endoftext|>' });
      expect(tensors.filter((tensor) => tensor.type === type).length).toBe(1 + 2 * 7 + 1); // embedding, 7 matrices a block, output
      // Our forward pass with every matrix replaced by its dequantized self.
      const saved = new Map([...model.parameters].map(([name, variable]) => [name, variable.clone()]));
      for (const [name, variable] of model.parameters) {
        if (variable.rank !== 2) continue;
        const [rows, columns] = variable.shape as [number, number];
        // Blocks run along GGUF rows: the embedding as stored, the other matrices transposed.
        const embedding = name === 'token_embd';
        const values = tf.tidy(
          () => (embedding ? variable : variable.transpose()).dataSync() as Float32Array,
        );
        const rounded = dequantizeGgml(type, quantizeGgml(type, values), values.length);
        variable.assign(
          embedding
            ? tf.tensor2d(rounded, [rows, columns])
            : tf.tensor2d(rounded, [columns, rows]).transpose(),
        );
      }
      // ggml's CPU rounds the activations entering each quantized matmul to Q8_0 (32-value blocks) with its
      // SIMD quantize_row_q8_0, not the reference one: see cpuQ8Activations.
      const activations = (rows: tf.Tensor2D) =>
        tf.tensor2d(cpuQ8Activations(rows.dataSync() as Float32Array), rows.shape);
      const ours = tf.tidy(
        () => model.logits(tf.tensor2d([ids], [1, ids.length], 'int32'), { activations }).arraySync()[0]!,
      );
      for (const [name, value] of saved) {
        model.parameters.get(name)!.assign(value);
        value.dispose();
      }
      const theirs = await llamaLogits(path, ids);
      let worst = 0;
      let agree = 0;
      let close = 0; // positions whose every logit is within 1e-3
      for (let position = 0; position < ids.length; position++) {
        const row = theirs[position]!;
        let rowWorst = 0;
        for (let token = 0; token < tokenizer.vocabSize; token++)
          rowWorst = Math.max(rowWorst, Math.abs(ours[position]![token]! - row[token]!));
        worst = Math.max(worst, rowWorst);
        if (rowWorst < 1e-3) close++;
        const f32Top = reference[position]!.indexOf(Math.max(...reference[position]!));
        if (row.indexOf(Math.max(...row)) === f32Top) agree++;
      }
      console.log(
        `${type} export: ${close}/${ids.length} positions within 1e-3 of ours on rounded weights and activations (worst ${worst.toExponential(2)}); top-1 agreement with F32 ${agree}/${ids.length}`,
      );
      // Measured: Q4_0 matches at all 40 positions to 1e-6; Q8_0 at positions 0–29 to 1e-6, then from
      // position 30 on by up to 2.9e-2. Without the activation rounding every position is off by ~2e-2, so
      // the rounding is what llama.cpp does. The tail is one activation at position 30 that sits within float
      // noise of a Q8_0 rounding boundary: tfjs and ggml accumulate in different orders, round it to
      // neighbouring steps (1/127 of its block's largest value apart), and every later position attends to
      // that position's keys and values, so the difference carries forward. Matching it would need ggml's
      // exact summation order; this bound keeps anything larger from passing.
      expect(close / ids.length).toBeGreaterThanOrEqual(0.6);
      expect(worst).toBeLessThan(0.1);
      expect(agree / ids.length).toBeGreaterThan(0.8);
    }
  }, 60_000);

  it('every exported file parses with @huggingface/gguf and has the llama keys', async () => {
    for (const type of ['f32', 'Q8_0', 'Q4_0']) {
      const { metadata, tensorInfos } = await gguf(join(root, `${type}.gguf`), { allowLocalFile: true });
      expect(metadata['general.architecture']).toBe('llama');
      expect(metadata['tokenizer.ggml.model']).toBe('gpt2');
      expect(tensorInfos.length).toBe(1 + 2 * 9 + 2);
    }
  });

  it('imports the exported files back: same tokenizer, same logits (F32 exactly, Q8_0 as its rounded weights)', async () => {
    const ids = tokenizer.encode(TEXT).slice(0, 24);
    const logitsOf = (m: MiniGpt) =>
      tf.tidy(() => m.logits(tf.tensor2d([ids], [1, ids.length], 'int32')).dataSync() as Float32Array);
    const original = logitsOf(model);
    const f32 = await importGguf(join(root, 'f32.gguf'));
    expect(f32.tokenizer.encode(TEXT)).toEqual(tokenizer.encode(TEXT));
    expect(f32.model.config).toMatchObject({
      dModel: 64,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 2,
      dFf: 128,
      contextLength: 128,
    });
    expect([...logitsOf(f32.model)]).toEqual([...original]);
    const q8 = await importGguf(join(root, 'Q8_0.gguf'));
    const worst = Math.max(...logitsOf(q8.model).map((value, i) => Math.abs(value - original[i]!)));
    expect(worst).toBeGreaterThan(0); // the weights were rounded …
    expect(worst).toBeLessThan(0.1); // … by Q8_0's half-step at most
    f32.model.dispose();
    q8.model.dispose();
  });

  it('refuses a GGUF of another architecture with GgufImportError', async () => {
    const path = join(root, 'phi.gguf');
    const writer = new GgufWriter(path);
    writer.setMetadata('general.architecture', { type: 'string', value: 'phi2' });
    await writer.finish();
    await expect(importGguf(path)).rejects.toThrow(GgufImportError);
    await expect(importGguf(path)).rejects.toThrow(`${path}: general.architecture "phi2" is not "llama"`);
  });
});
