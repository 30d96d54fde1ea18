import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { arrayTokens, LstmLm, MiniGpt, Trainer, TrainingDivergedError } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const micro = (seed = 1, extra = {}) =>
  new MiniGpt(
    {
      vocabSize: 13,
      contextLength: 8,
      dModel: 16,
      nLayers: 2,
      nHeads: 2,
      dFf: 32,
      allowUnquantizable: true,
      ...extra,
    },
    seed,
  );
// A stream with structure to learn: i·3 mod 13 with a twist every 5th token.
const tokens = Int32Array.from({ length: 400 }, (_, i) => (i % 5 === 0 ? 0 : (i * 3) % 13));

describe('Trainer', () => {
  it('overfits one batch to near-zero loss (MiniGPT and LSTM)', async () => {
    const window = arrayTokens([3, 1, 4, 1, 5, 9, 2, 6, 5]); // 9 tokens: one window of 8 + 1
    for (const model of [
      micro(2),
      new LstmLm({ vocabSize: 13, contextLength: 8, embeddingSize: 16, hiddenSize: 32, nLayers: 1 }, 2),
    ]) {
      const trainer = new Trainer({
        model,
        train: window,
        batchSize: 2,
        steps: 150,
        learningRate: 1e-2,
        optimizer: { weightDecay: 0 },
      });
      const { loss } = await trainer.fit();
      expect(loss).toBeLessThan(0.05);
      trainer.dispose();
      model.dispose();
    }
  });

  it('gives the same loss curve for the same seed, and another for another seed', async () => {
    const curve = async (seed: number) => {
      const model = micro(1, { dropout: 0.1 });
      const losses: number[] = [];
      const trainer = new Trainer({
        model,
        train: arrayTokens(tokens),
        batchSize: 4,
        steps: 8,
        seed,
        learningRate: 3e-3,
        onProgress: (p) => losses.push(p.loss),
      });
      await trainer.fit();
      trainer.dispose();
      model.dispose();
      return losses;
    };
    const first = await curve(7);
    expect(await curve(7)).toEqual(first);
    expect(await curve(8)).not.toEqual(first);
  });

  it('keeps the tensor count flat from step 2 to step 20', () => {
    const model = micro(3, { dropout: 0.1 });
    const trainer = new Trainer({
      model,
      train: arrayTokens(tokens),
      batchSize: 4,
      steps: 20,
      accumulation: 2,
      learningRate: 1e-3,
    });
    trainer.trainStep();
    trainer.trainStep();
    const after2 = tf.memory().numTensors;
    for (let i = 2; i < 20; i++) trainer.trainStep();
    expect(tf.memory().numTensors).toBe(after2);
    const evaluation = new Trainer({
      model,
      train: arrayTokens(tokens),
      validation: arrayTokens(tokens),
      batchSize: 4,
      steps: 1,
    });
    const before = tf.memory().numTensors;
    evaluation.evaluate();
    expect(tf.memory().numTensors).toBe(before);
    evaluation.dispose();
    trainer.dispose();
    model.dispose();
  });

  it('averages accumulated micro-batches: 2 × 4 equals one batch of 8', () => {
    // Every window of a constant stream is the same, so the sampled offsets do not matter.
    const constant = arrayTokens(new Int32Array(50).fill(4));
    const after = (batchSize: number, accumulation: number) => {
      const model = micro(5);
      const trainer = new Trainer({
        model,
        train: constant,
        batchSize,
        accumulation,
        steps: 1,
        learningRate: 1e-2,
      });
      trainer.trainStep();
      const values = [...model.parameters.values()].flatMap((variable) => [...variable.dataSync()]);
      trainer.dispose();
      model.dispose();
      return values;
    };
    const single = after(8, 1);
    for (const [i, value] of after(4, 2).entries()) expect(value).toBeCloseTo(single[i]!, 6);
  });

  it('skips non-finite steps without touching the weights and stops after maxBadSteps in a row', () => {
    const model = micro(6);
    const embedding = model.parameters.get('token_embd')!;
    const poisoned = embedding.dataSync().slice();
    poisoned[0] = Number.NaN;
    embedding.assign(tf.tensor(poisoned, embedding.shape));
    const before = model.parameters.get('blk.0.attn_q')!.dataSync().slice();
    const trainer = new Trainer({
      model,
      train: arrayTokens(tokens),
      batchSize: 4,
      steps: 10,
      maxBadSteps: 3,
    });
    expect(trainer.trainStep().loss).toBeNaN();
    expect(trainer.trainStep().loss).toBeNaN();
    expect(() => trainer.trainStep()).toThrow(TrainingDivergedError);
    expect(() => trainer.trainStep()).toThrow(
      '4 steps in a row had a non-finite loss or gradient (limit 3) at step 4',
    );
    expect([...model.parameters.get('blk.0.attn_q')!.dataSync()]).toEqual([...before]);
    trainer.dispose();
    model.dispose();
  });

  it('scales the loss like GradScaler: overflowing steps are skipped and the scale backs off', async () => {
    const model = micro(7);
    // 2^140 overflows float32 (max ≈ 2^128): the scaled loss is Infinity until the scale has halved enough.
    const trainer = new Trainer({
      model,
      train: arrayTokens(tokens),
      batchSize: 4,
      steps: 30,
      maxBadSteps: 2,
      learningRate: 3e-3,
      lossScaling: { initialScale: 2 ** 140, growthInterval: 1000 },
    });
    expect(trainer.scaling).toBe(true);
    const progress = await trainer.fit();
    const state = trainer.state();
    expect(progress.skippedSteps).toBeGreaterThan(5);
    expect(state.lossScale).toBeLessThan(2 ** 130);
    expect(state.optimizerStep).toBe(30 - progress.skippedSteps);
    expect(Number.isFinite(progress.loss)).toBe(true);
    // 'auto' (the default) turns it on only for float16 backends: not on cpu.
    const plain = new Trainer({ model, train: arrayTokens(tokens), batchSize: 4, steps: 1 });
    expect(plain.scaling).toBe(false);
    plain.dispose();
    trainer.dispose();
    model.dispose();
  });

  it('evaluates loss, perplexity and bits per byte on fixed windows', () => {
    const model = micro(8);
    const trainer = new Trainer({
      model,
      train: arrayTokens(tokens),
      validation: arrayTokens(tokens),
      validationBytesPerToken: 2,
      batchSize: 4,
      steps: 1,
      evalBatches: 3,
    });
    const result = trainer.evaluate()!;
    expect(result.tokens).toBe(3 * 4 * 8);
    expect(result.perplexity).toBeCloseTo(Math.exp(result.loss), 10);
    expect(result.bitsPerByte).toBeCloseTo(result.loss / Math.LN2 / 2, 10);
    expect(result.loss).toBeGreaterThan(Math.log(13) - 0.5); // untrained: about ln 13 = 2.56
    expect(trainer.evaluate()).toEqual(result);
    trainer.dispose();
    model.dispose();
  });
});
