import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packShards } from '@lm-stack/corpus';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayTokens, LstmLm, MiniGpt, selectBackend, Trainer, type TrainerOptions } from './index.js';
import { CheckpointError, hardwareReport, loadCheckpoint, saveCheckpoint, shardTokens } from './node.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-checkpoints-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tokens = Int32Array.from({ length: 600 }, (_, i) => (i % 7 === 0 ? 1 : (i * 5) % 17));
const micro = () =>
  new MiniGpt(
    {
      vocabSize: 17,
      contextLength: 8,
      dModel: 16,
      nLayers: 2,
      nHeads: 2,
      dFf: 32,
      dropout: 0.1,
      allowUnquantizable: true,
    },
    11,
  );
const options = (model: MiniGpt | LstmLm, losses: number[]): TrainerOptions => ({
  model,
  train: arrayTokens(tokens),
  batchSize: 4,
  steps: 20,
  seed: 3,
  learningRate: { peak: 3e-3, warmupSteps: 5, decaySteps: 20 },
  onProgress: (progress) => losses.push(progress.loss),
});

describe('checkpoints', () => {
  it('resumes exactly: 20 steps straight equal 10 steps, save, load in a fresh model, 10 steps', async () => {
    const straight: number[] = [];
    const a = new Trainer(options(micro(), straight));
    await a.fit();

    const resumed: number[] = [];
    const first = new Trainer({ ...options(micro(), resumed), steps: 10 });
    await first.fit();
    await saveCheckpoint(join(root, 'resume'), first);
    const checkpoint = loadCheckpoint(join(root, 'resume'));
    const second = new Trainer(options(checkpoint.model as MiniGpt, resumed));
    checkpoint.resume(second);
    await second.fit();
    expect(resumed).toEqual(straight); // dropout, sampling, schedule and moments all continue exactly
  });

  it('round-trips an LSTM and its logits', async () => {
    const model = new LstmLm(
      { vocabSize: 17, contextLength: 8, embeddingSize: 6, hiddenSize: 10, nLayers: 2 },
      4,
    );
    const trainer = new Trainer({ ...options(model, []), steps: 3 });
    await trainer.fit();
    await saveCheckpoint(join(root, 'lstm'), trainer, { tokenizerHash: 'abc' });
    const loaded = loadCheckpoint(join(root, 'lstm'));
    const ids = tf.tensor2d([[1, 2, 3, 4]], [1, 4], 'int32');
    expect(loaded.model.logits(ids).arraySync()).toEqual(model.logits(ids).arraySync());
    expect(loaded.tokenizerHash).toBe('abc');
    expect(loaded.training.step).toBe(3);
  });

  it('keeps the last N and the best, and refuses to save NaN weights', async () => {
    const directory = join(root, 'keep');
    const model = micro();
    const trainer = new Trainer({ ...options(model, []), steps: 100 });
    const losses = [3, 1, 4, 5, 9]; // the second checkpoint is the best
    for (const validationLoss of losses) {
      trainer.trainStep();
      await saveCheckpoint(directory, trainer, { keepLast: 2, validationLoss });
    }
    const index = JSON.parse(readFileSync(join(directory, 'checkpoints.json'), 'utf8'));
    expect(index.checkpoints.map((entry: { step: number }) => entry.step)).toEqual([2, 4, 5]);
    expect(index).toMatchObject({ latest: 'step-00000005', best: 'step-00000002' });
    expect(readdirSync(directory).sort()).toEqual([
      'checkpoints.json',
      'step-00000002',
      'step-00000004',
      'step-00000005',
    ]);
    expect(loadCheckpoint(directory, 'best').metrics).toEqual({ validationLoss: 1 });

    const weight = model.parameters.get('blk.1.ffn_up')!;
    weight.assign(weight.mul(Number.NaN));
    await expect(saveCheckpoint(directory, trainer)).rejects.toThrow(CheckpointError);
    await expect(saveCheckpoint(directory, trainer)).rejects.toThrow(
      'parameter blk.1.ffn_up has non-finite values; no checkpoint written',
    );
    expect(JSON.parse(readFileSync(join(directory, 'checkpoints.json'), 'utf8'))).toEqual(index);
  });

  it('survives kill -9 during checkpoint writes: the previous checkpoint is intact and listed', async () => {
    const directory = join(root, 'killed');
    for (const delay of [0, 37, 113]) {
      const child = spawn(
        process.execPath,
        [join(import.meta.dirname, 'testing', 'checkpoint-child.mjs'), directory],
        { stdio: 'inherit' },
      );
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_, signal) => resolve(signal)),
      );
      const before = existsSync(join(directory, 'checkpoints.json'))
        ? loadCheckpoint(directory).training.step
        : 0;
      // Wait for two new checkpoints, then kill at an arbitrary moment of the save loop.
      for (let waited = 0; waited < 60_000; waited += 10) {
        const index = existsSync(join(directory, 'checkpoints.json'))
          ? JSON.parse(readFileSync(join(directory, 'checkpoints.json'), 'utf8'))
          : undefined;
        if (index && Number(index.latest.slice(5)) >= before + 2) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const index = JSON.parse(readFileSync(join(directory, 'checkpoints.json'), 'utf8'));
      for (const entry of index.checkpoints) {
        const loaded = loadCheckpoint(join(directory, entry.name));
        expect(loaded.training.step).toBe(entry.step);
        for (const variable of loaded.model.parameters.values())
          expect(tf.tidy(() => variable.isFinite().all().dataSync()[0])).toBe(1);
        loaded.model.dispose();
      }
      expect(loadCheckpoint(directory).training.step).toBeGreaterThanOrEqual(before + 2);
    }
  }, 180_000);
});

describe('training from corpus shards', () => {
  it('samples windows from packed llm.c shards by range and learns from them', async () => {
    await selectBackend('wasm'); // 30× faster than cpu for this one
    const sentences = [
      'The tide came in over the sand.',
      'A gull cried above the harbour.',
      'The old captain mended the rope.',
    ];
    const tokenizer = await BpeTokenizer.train(sentences, {
      vocabSize: 280,
      specialTokens: ['<|endoftext|>'],
    });
    const documents = Array.from({ length: 60 }, (_, i) => ({
      id: `${i}`,
      source: 's',
      group: 'g',
      text: `${sentences[i % 3]} ${sentences[(i + 1) % 3]}`,
    }));
    const manifest = await packShards(documents, {
      tokenizer,
      directory: join(root, 'shards'),
      name: 'train',
      shardTokens: 300,
      eos: '<|endoftext|>',
    });
    expect(manifest.shards.length).toBeGreaterThan(2);
    const train = shardTokens(join(root, 'shards', 'train.manifest.json'));
    expect(train.length).toBe(manifest.tokens);
    const model = new MiniGpt(
      { vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 32, nLayers: 1, nHeads: 2, dFf: 64 },
      1,
    );
    const losses: number[] = [];
    const trainer = new Trainer({
      model,
      train,
      validation: train,
      batchSize: 8,
      steps: 60,
      learningRate: 3e-3,
      onProgress: (p) => losses.push(p.loss),
    });
    const last = await trainer.fit();
    train.close();
    await selectBackend('cpu');
    expect(losses[0]).toBeGreaterThan(Math.log(280) - 1); // starts near uniform: ln 280 = 5.6
    expect(last.validation!.loss).toBeLessThan(losses[0]! / 2);
  });
});

describe('hardwareReport', () => {
  it('names cores, memory and the backend, and warns on CPU-only training', () => {
    const report = hardwareReport();
    expect(report.backend).toBe('cpu');
    expect(report.cores).toBeGreaterThan(0);
    expect(report.memoryBytes).toBeGreaterThan(2 ** 30);
    expect(report.accelerated).toBe(false);
    expect(report.warning).toMatch(/^training on the CPU only \(backend "cpu"\)/);
  });
});
