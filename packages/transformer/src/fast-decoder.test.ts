import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { MiniGpt, type MiniGptConfigInput, nativeGemmStatus, selectBackend, useNativeGemm } from './index.js';

afterAll(() => {
  useNativeGemm(true);
});

const ids = [5, 9, 200, 17, 3, 3, 150, 42, 7, 99, 0, 299, 8, 8, 61, 250]; // 16: fills either context
const CONFIGS: Record<string, MiniGptConfigInput> = {
  'grouped-query attention': {
    vocabSize: 300,
    contextLength: 16,
    dModel: 32,
    nLayers: 2,
    nHeads: 4,
    nKvHeads: 2,
    dFf: 64,
  },
  'tied head, three layers': {
    vocabSize: 300,
    contextLength: 12,
    dModel: 64,
    nLayers: 3,
    nHeads: 2,
    dFf: 96,
    tieEmbeddings: true,
  },
};

describe('the decoder outside tfjs (lm-stack kernels active)', () => {
  for (const [label, config] of Object.entries(CONFIGS))
    it(`gives the full forward pass's logits at every position: ${label}, WebAssembly and native GEMM, wasm and cpu`, async () => {
      for (const backend of ['wasm', 'cpu'] as const)
        for (const native of [false, true]) {
          await selectBackend(backend);
          useNativeGemm(native);
          const model = new MiniGpt(config, 3);
          for (const variable of model.parameters.values()) variable.assign(variable.mul(4)); // logits far apart
          const context = model.contextLength;
          const fed = ids.slice(0, context);
          const full = tf.tidy(
            () => model.logits(tf.tensor2d([fed], [1, fed.length], 'int32')).arraySync()[0]!,
          );
          const before = tf.memory().numTensors;
          const decoder = model.decoder();
          // The prompt in one call, then one token at a time: no tfjs kernel runs for any of it.
          const profile = await tf.profile(() => {
            decoder.next(fed.slice(0, 3));
          });
          expect(profile.kernels).toHaveLength(0);
          const steps = fed.slice(3).map((id) => decoder.next([id]));
          steps.forEach((logits, step) => {
            const position = step + 3;
            let worst = 0;
            for (let i = 0; i < logits.length; i++)
              worst = Math.max(worst, Math.abs(logits[i]! - full[position]![i]!));
            expect(worst).toBeLessThan(1e-4);
          });
          expect(decoder.length).toBe(fed.length);
          expect(() => decoder.next([1])).toThrow(/exceed the context/);
          decoder.dispose();
          expect(tf.memory().numTensors).toBe(before);
          model.dispose();
        }
    });

  it('refuses ids outside the vocabulary before feeding any, and leaves hooked decoders to tfjs', async () => {
    await selectBackend('wasm');
    const model = new MiniGpt(CONFIGS['grouped-query attention']!, 1);
    const decoder = model.decoder();
    expect(() => decoder.next([4, 300])).toThrow(/token id 300 is outside the vocabulary of 300/);
    expect(() => decoder.next([-1])).toThrow(RangeError);
    expect(decoder.length).toBe(0);
    decoder.next([4]);
    expect(decoder.length).toBe(1);
    // An activation hook (llamaCppCpuReference, LoRA adapters) needs the tfjs path.
    const hooked = model.decoder({ activations: (rows) => rows });
    const profile = await tf.profile(() => {
      hooked.next([4]);
    });
    expect(profile.kernels.length).toBeGreaterThan(0);
    hooked.dispose();
    decoder.dispose();
    model.dispose();
    expect(nativeGemmStatus().reason).toBeTypeOf('string');
  });
});
