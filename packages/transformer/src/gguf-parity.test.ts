import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf } from '@huggingface/gguf';
import { GgufWriter, readGguf } from '@lm-stack/gguf';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import * as tf from '@tensorflow/tfjs';
import { type ControlledEvaluateInputItem, getLlama, type Llama, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeMachine } from '../../../scripts/ggml-cpu-variant.js';
import { arrayTokens, generate, MiniGpt, selectBackend, Trainer } from './index.js';
import { exportGguf, GgufImportError, importGguf, llamaCppCpuReference } from './node.js';
import { ggmlReferenceLogits } from './testing/ggml-llama-reference.js';

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

/** llama.cpp's logits at every position of `ids`, one thread, F32 KV cache. */
async function llamaLogits(path: string, ids: number[]): Promise<Float32Array[]> {
  return (await llamaRun(path, ids)).rows;
}

/** llama.cpp's logits and the size of the KV cache it ran with (it pads the context to 256 cells). */
async function llamaRun(path: string, ids: number[]): Promise<{ rows: Float32Array[]; cacheSize: number }> {
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
  const cacheSize = context.contextSize;
  await context.dispose();
  await loaded.dispose();
  return { rows, cacheSize };
}

/** The largest |a − b| over one row of logits. */
function rowDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
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

  it("Q8_0, Q4_0 and mixed F16/Q8_0/Q4_0: llama.cpp gives ggml's own graph on ggml-quantized weights within 1e-4 at every position", async () => {
    const ids = tokenizer.encode(TEXT).slice(0, 40);
    const f32Path = join(root, 'f32.gguf');
    await exportGguf(model, tokenizer, f32Path, { eos: '<|endoftext|>' });
    const reference = tf.tidy(
      () => model.logits(tf.tensor2d([ids], [1, ids.length], 'int32')).arraySync()[0]!,
    );
    // Mixed: attention F16 (ggml rounds its activations to F16), feed-forward Q4_0, the rest Q8_0.
    const mixed = (name: string) =>
      name.includes('attn_') ? 'F16' : name.includes('ffn_') ? 'Q4_0' : 'Q8_0';
    for (const [type, types] of [
      ['Q8_0', 'Q8_0'],
      ['Q4_0', 'Q4_0'],
      ['mixed', mixed],
    ] as const) {
      const path = join(root, `${type}.gguf`);
      const { tensors } = await exportGguf(model, tokenizer, path, { types, eos: '<|endoftext|>' });
      if (type !== 'mixed')
        expect(tensors.filter((tensor) => tensor.type === type).length).toBe(1 + 2 * 7 + 1); // embedding, 7 matrices a block, output
      const theirs = await llamaRun(path, ids);
      // The reference: llama.cpp's llama graph rebuilt from ggml ops and run on the ggml CPU build that
      // llama.cpp loaded (AVX2, AVX-512, AMX and repacked Q4_0 kernels add in different orders), on the F32
      // export's weights quantized by ggml_quantize_chunk. So it checks our quantized bytes, the file's
      // layout and metadata, and that llama.cpp computes our model — on whichever machine runs the test.
      const ggml = await ggmlReferenceLogits(f32Path, path, ids, theirs.cacheSize);
      const repacked = [...ggml.placement].filter(([, buffer]) => buffer !== 'CPU').length;
      const worstAt = ids.map((_, position) => rowDifference(ggml.logits[position]!, theirs.rows[position]!));
      const worst = Math.max(...worstAt);
      // Our own arithmetic model of ggml's CPU (llamaCppCpuReference, float32 sums in our GEMM's order):
      // reported, not required to 1e-4 — a one-ulp difference in a sum can move a Q8_0 activation block's
      // F16 scale (≈2e-2 at that position), and which positions flip depends on the CPU build.
      const cpu = llamaCppCpuReference(model, types);
      const ours = tf.tidy(
        () => cpu.model.logits(tf.tensor2d([ids], [1, ids.length], 'int32'), cpu.options).arraySync()[0]!,
      );
      cpu.model.dispose();
      const oursAt = ids.map((_, position) => rowDifference(ours[position]!, theirs.rows[position]!));
      let agree = 0;
      for (let position = 0; position < ids.length; position++) {
        const row = theirs.rows[position]!;
        const f32Top = reference[position]!.indexOf(Math.max(...reference[position]!));
        if (row.indexOf(Math.max(...row)) === f32Top) agree++;
      }
      console.log(
        `${type} export (${describeMachine()}): llama.cpp vs ggml graph on ggml-quantized weights max |Δ| ${worst.toExponential(2)} over ${ids.length} positions (${repacked} weights repacked by the CPU build; buffers ${[...new Set([...ggml.placement.values()])].join(', ')}); ` +
          `our CPU-arithmetic model: ${oursAt.filter((d) => d < 1e-4).length}/${ids.length} positions within 1e-4 (worst ${Math.max(...oursAt).toExponential(2)}); top-1 agreement with F32 ${agree}/${ids.length}`,
      );
      // CI's portability run forces a ggml CPU build (scripts/ggml-cpu-builds.mjs): check it took.
      if (process.env.LM_STACK_GGML_CPU_BUILD) expect(ggml.variant).toBe(process.env.LM_STACK_GGML_CPU_BUILD);
      // Measured: 0 at every position (the same kernels on the same bytes) on the zen4, haswell, skylakex and x64
      // builds; a 5% change of one weight of blk.1.ffn_down in the reference moves it to 3.8e-3.
      expect(worst).toBeLessThan(1e-4);
      expect(Math.max(...oursAt)).toBeLessThan(5e-2);
      expect(agree / ids.length).toBeGreaterThan(0.8);
    }
  }, 120_000);

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
