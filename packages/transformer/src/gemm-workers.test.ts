import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useWorkerThreads, workerThreadJobs } from './gemm-workers.js';
import { MiniGpt, SeededRandom, selectBackend, useNativeGemm } from './index.js';
import { type MatMulCase, matMulProducts } from './testing/gemm-reference.js';
import { trainingLosses } from './testing/training-losses.js';

afterAll(() => {
  useWorkerThreads(1);
  useNativeGemm(true);
});

const random = new SeededRandom(3);
const values = (length: number) => Float32Array.from({ length }, () => random.next() * 2 - 1);

describe('GEMM on worker threads', () => {
  it('gives the one-thread products bit for bit, every transpose, batched and broadcast', async () => {
    // Each large enough (≥ 8 MFLOP) to go to the threads; row counts not multiples of the 64-row tasks.
    const cases: MatMulCase[] = [
      [[301, 130], [130, 257], false, false],
      [[130, 301], [257, 130], true, true],
      [[3, 150, 110], [3, 150, 90], true, false], // batched weight-gradient shape
      [[2, 4, 129, 32], [2, 4, 129, 32], false, true], // attention scores
      [[333, 96], [2, 96, 160], false, false], // one matrix against a batch
    ];
    const products = matMulProducts(cases, values);
    // The WebAssembly pool (native GEMM off), then the native GEMM's threads where the addon is built.
    for (const [backend, native] of [
      ['wasm', false],
      ['cpu', false],
      ['wasm', true],
      ['cpu', true],
    ] as const) {
      await selectBackend(backend);
      useNativeGemm(native);
      expect(useWorkerThreads(1)).toBe(1);
      const single = products();
      expect(useWorkerThreads(2)).toBe(2);
      const jobs = workerThreadJobs();
      const threaded = products();
      expect(workerThreadJobs() - jobs).toBe(cases.length); // every product went to the threads
      for (const [i, { data }] of threaded.entries()) expect([...data]).toEqual([...single[i]!.data]);
    }
    useNativeGemm(true);
  });

  it.each([false, true])(
    'trains to exactly the one-thread losses, and leaks no tensors (native GEMM %s)',
    async (native) => {
      await selectBackend('wasm');
      useNativeGemm(native);
      const tokens = Int32Array.from({ length: 4000 }, (_, i) => (i * 7 + (i >> 3)) % 97);
      const losses = async () => {
        const model = new MiniGpt(
          { vocabSize: 97, contextLength: 64, dModel: 64, nLayers: 2, nHeads: 4, dFf: 128 },
          2,
        );
        return trainingLosses(model, tokens, { batchSize: 8, steps: 4 });
      };
      useWorkerThreads(1);
      const single = await losses();
      useWorkerThreads(2);
      const before = tf.memory().numTensors;
      const jobs = workerThreadJobs();
      const threaded = await losses();
      expect(workerThreadJobs()).toBeGreaterThan(jobs);
      expect(tf.memory().numTensors).toBe(before);
      expect(threaded).toEqual(single);
    },
    60_000,
  );
});
