/**
 * Generation speed, batch 1, 128 new tokens after an 8-token prompt, greedy, median of five runs: ours (KV
 * cache; tfjs's kernels, lm-stack's with the WebAssembly GEMM, and with the native GEMM) against llama.cpp (node-llama-cpp, one thread, F32 KV cache) running our GGUF export of the
 * same weights, in the same run. Prints `ratio generate-<config> <ours/llama.cpp>`.
 * Run: pnpm bench:generate
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { getLlama, type Token } from 'node-llama-cpp';
import { readSharedCorpus } from '../../../scripts/shared-corpus.js';
import {
  generate,
  MiniGpt,
  type MiniGptConfigInput,
  nativeGemmStatus,
  registerFastKernels,
  restoreTfjsKernels,
  selectBackend,
  useNativeGemm,
} from '../src/index.js';
import { exportGguf } from '../src/node.js';

const CONFIGS: Record<string, MiniGptConfigInput> = {
  tiny: { vocabSize: 512, dModel: 128, nLayers: 4, nHeads: 4, dFf: 512, contextLength: 128 },
  small: { vocabSize: 4096, dModel: 256, nLayers: 6, nHeads: 8, dFf: 1024, contextLength: 256 },
};
const NEW_TOKENS = 128;
const RUNS = 5; // timed runs a side; the median is reported (one run of 128 tokens takes 0.15–1.5 s)
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const directory = mkdtempSync(join(tmpdir(), 'lm-stack-generate-bench-'));
const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
// Enough text for a full 4,096-token vocabulary: the first 400 documents of the shared corpus.
const texts = readSharedCorpus()
  .slice(0, 400)
  .map((document) => document.text);
const text = texts[0]!;
await selectBackend('wasm');
const rows: Array<Record<string, string | number>> = [];
const ratios: string[] = [];
for (const [name, config] of Object.entries(CONFIGS)) {
  const tokenizer = await BpeTokenizer.train(texts, {
    vocabSize: config.vocabSize - 1,
    specialTokens: ['<|endoftext|>'],
  });
  const model = new MiniGpt({ ...config, vocabSize: tokenizer.vocabSize }, 1);
  const prompt = tokenizer.encode(text).slice(0, 8);
  const path = join(directory, `${name}.gguf`);
  await exportGguf(model, tokenizer, path);

  /** Tokens per second of our generation: the median of five runs after three warm-up runs (the JIT settles). */
  const ourRate = async () => {
    for (let round = 0; round < 3; round++)
      for await (const _ of generate(model, tokenizer, prompt, { temperature: 0, maxTokens: NEW_TOKENS }));
    const rates: number[] = [];
    for (let round = 0; round < RUNS; round++) {
      const begin = performance.now();
      let count = 0;
      for await (const { id } of generate(model, tokenizer, prompt, {
        temperature: 0,
        maxTokens: NEW_TOKENS,
      }))
        if (id >= 0) count++;
      rates.push(count / ((performance.now() - begin) / 1000));
    }
    return median(rates);
  };
  restoreTfjsKernels();
  const tfjsKernels = await ourRate();
  registerFastKernels();
  useNativeGemm(false); // the WebAssembly GEMM (what browsers run)
  const webAssembly = await ourRate();
  useNativeGemm(true); // the default: native GEMM where it was built
  const ours = await ourRate();

  const loaded = await llama.loadModel({ modelPath: path });
  const context = await loaded.createContext({
    contextSize: config.contextLength,
    threads: 1,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
    flashAttention: false,
  });
  const sequence = context.getSequence();
  // The same protocol for llama.cpp: one warm-up run, then the median of five, each from an empty cache.
  const theirRates: number[] = [];
  for (let round = 0; round <= RUNS; round++) {
    await sequence.clearHistory();
    const start = performance.now();
    let generated = 0;
    for await (const _ of sequence.evaluate(prompt as Token[], { temperature: 0 }))
      if (++generated >= NEW_TOKENS) break;
    if (round > 0) theirRates.push(generated / ((performance.now() - start) / 1000));
  }
  const theirs = median(theirRates);
  await context.dispose();
  await loaded.dispose();
  model.dispose();
  rows.push({
    config: name,
    vocabulary: tokenizer.vocabSize,
    'wasm, tfjs kernels': Math.round(tfjsKernels),
    'lm-stack kernels, WebAssembly GEMM': Math.round(webAssembly),
    [`lm-stack kernels${nativeGemmStatus().active ? ', native GEMM' : ''} (ours)`]: Math.round(ours),
    'llama.cpp tokens/s': Math.round(theirs),
  });
  ratios.push(`ratio generate-${name} ${(ours / theirs).toFixed(3)}`);
  ratios.push(
    `ratio generate-${name}-webassembly ${(webAssembly / theirs).toFixed(3)} (browsers: no native GEMM)`,
  );
}
console.table(rows);
for (const line of ratios) console.log(line);
await llama.dispose();
rmSync(directory, { recursive: true, force: true });
