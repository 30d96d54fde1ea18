import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyRope,
  ConfigError,
  LstmLm,
  linear,
  MiniGpt,
  maskedCrossEntropy,
  parameterCount,
  ropeTables,
  SeededRandom,
} from './index.js';
import type { LanguageModel } from './language-model.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Micro models: every parameter kind, grouped-query attention (4 query heads on 2 kv heads), tied head.
const microGpt = (seed = 1, extra = {}) =>
  new MiniGpt(
    {
      vocabSize: 11,
      contextLength: 6,
      dModel: 8,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 2,
      dFf: 12,
      allowUnquantizable: true,
      ...extra,
    },
    seed,
  );
const microLstm = (seed = 1) =>
  new LstmLm({ vocabSize: 11, contextLength: 6, embeddingSize: 5, hiddenSize: 7, nLayers: 2 }, seed);
const batch = () => ({
  inputs: tf.tensor2d(
    [
      [1, 2, 3, 4, 5, 6],
      [7, 8, 9, 10, 0, 1],
    ],
    [2, 6],
    'int32',
  ),
  targets: tf.tensor2d(
    [
      [2, 3, 4, 5, 6, 7],
      [8, 9, 10, 0, 1, 2],
    ],
    [2, 6],
    'int32',
  ),
  weights: tf.tensor2d(
    [
      [1, 1, 0, 1, 1, 1],
      [0, 1, 1, 1, 1, 0.5],
    ],
    [2, 6],
  ),
});

/** Central finite differences on the entries with the largest gradients and some random ones. */
function gradientCheck(model: LanguageModel): { checked: number; worst: number } {
  const { inputs, targets, weights } = batch();
  const loss = () => tf.tidy(() => maskedCrossEntropy(model.logits(inputs), targets, weights).dataSync()[0]!);
  const { grads } = tf.variableGrads(() => maskedCrossEntropy(model.logits(inputs), targets, weights));
  const random = new SeededRandom(5);
  let checked = 0;
  let worst = 0;
  for (const [name, variable] of model.parameters) {
    const analytic = grads[variable.name]!.dataSync();
    const order = [...analytic.keys()].sort((a, b) => Math.abs(analytic[b]!) - Math.abs(analytic[a]!));
    const picks = [...order.slice(0, 3), random.integer(analytic.length), random.integer(analytic.length)];
    const values = variable.dataSync().slice();
    for (const at of picks) {
      const h = 1e-2;
      const probe = (delta: number) => {
        const changed = values.slice();
        changed[at]! += delta;
        variable.assign(tf.tensor(changed, variable.shape));
        return loss();
      };
      const numeric = (probe(h) - probe(-h)) / (2 * h);
      variable.assign(tf.tensor(values, variable.shape));
      const error = Math.abs(numeric - analytic[at]!) / (1e-3 + Math.abs(analytic[at]!));
      worst = Math.max(worst, error);
      if (error > 0.05)
        throw new Error(`${name}[${at}]: finite difference ${numeric}, autograd ${analytic[at]}`);
      checked++;
    }
  }
  for (const gradient of Object.values(grads)) gradient.dispose();
  return { checked, worst };
}

describe('gradients match finite differences', () => {
  it('MiniGPT: embedding, norms, q/k/v/o with RoPE and GQA, SwiGLU, output head', () => {
    const model = microGpt();
    // 1 + 2 × 9 + 2 parameters, 5 entries each
    expect(gradientCheck(model).checked).toBe(21 * 5);
    model.dispose();
  });
  it('MiniGPT with the head tied to the embedding', () => {
    const model = microGpt(2, { tieEmbeddings: true });
    expect([...model.parameters.keys()]).not.toContain('output');
    expect(gradientCheck(model).checked).toBe(20 * 5);
    model.dispose();
  });
  it('LSTM: embedding, input and hidden weights, biases, head', () => {
    const model = microLstm();
    expect(gradientCheck(model).checked).toBe((1 + 3 * 2 + 2) * 5);
    model.dispose();
  });
});

describe('model pieces', () => {
  it('linear has the gradient of a plain matmul', () => {
    const x = tf.tensor3d(
      [...Array(24).keys()].map((i) => Math.sin(i)),
      [2, 3, 4],
    );
    const w = tf.tensor2d(
      [...Array(20).keys()].map((i) => Math.cos(i)),
      [4, 5],
    );
    const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      linear(a, b as tf.Tensor2D)
        .square()
        .sum(),
    )([x, w]);
    const theirs = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf
        .matMul(a.reshape([6, 4]), b)
        .square()
        .sum(),
    )([x, w]);
    for (const [i, gradient] of ours.entries()) expect(gradient.arraySync()).toEqual(theirs[i]!.arraySync());
  });

  it('RoPE makes q·k depend only on the distance between positions', () => {
    // One head of 8 dims; q at position m, k at position n: the dot product is the same for (m, n) = (5, 2),
    // (7, 4) and (3, 0).
    const { cos, sin } = ropeTables(16, 8, 10_000);
    const q = tf.tensor1d([0.3, -1.2, 0.5, 2, -0.7, 0.1, 1.5, -0.4]);
    const k = tf.tensor1d([1.1, 0.4, -0.9, 0.2, 0.6, -1.3, 0.8, 0.05]);
    const at = (vector: tf.Tensor1D, position: number) =>
      applyRope(vector.reshape([1, 1, 1, 8]).tile([1, 16, 1, 1]) as tf.Tensor4D, cos, sin)
        .slice([0, position, 0, 0], [1, 1, 1, 8])
        .reshape([8]);
    const dot = (m: number, n: number) => at(q, m).dot(at(k, n)).dataSync()[0]!;
    expect(dot(7, 4)).toBeCloseTo(dot(5, 2), 5);
    expect(dot(3, 0)).toBeCloseTo(dot(5, 2), 5);
    expect(Math.abs(dot(5, 2) - dot(5, 3))).toBeGreaterThan(1e-3);
    // Position 0 is the identity; position 1 rotates pair 0 by 1 radian: (x0 cos 1 − x1 sin 1, x1 cos 1 + x0 sin 1).
    expect([...at(q, 0).dataSync()]).toEqual([...q.dataSync()].map((v) => Math.fround(v)));
    const [x0, x1] = [0.3, -1.2];
    const rotated = at(q, 1).dataSync();
    expect(rotated[0]).toBeCloseTo(x0 * Math.cos(1) - x1 * Math.sin(1), 6);
    expect(rotated[1]).toBeCloseTo(x1 * Math.cos(1) + x0 * Math.sin(1), 6);
  });

  it('a token with loss weight 0 contributes exactly zero gradient', () => {
    const model = microGpt(3);
    const { inputs, targets, weights } = batch();
    const grads = (targetValues: number[][]) => {
      const { grads: all } = tf.variableGrads(() =>
        maskedCrossEntropy(model.logits(inputs), tf.tensor2d(targetValues, [2, 6], 'int32'), weights),
      );
      return Object.fromEntries(
        Object.entries(all).map(([name, gradient]) => [name, [...gradient.dataSync()]]),
      );
    };
    const original = targets.arraySync();
    const changed = original.map((row) => [...row]);
    changed[0]![2] = 9; // weight 0 there
    changed[1]![0] = 4; // weight 0 there
    expect(grads(changed)).toEqual(grads(original));
    model.dispose();
  });

  it('is causal: logits at a position do not depend on later tokens', () => {
    const model = microGpt(4);
    const a = model
      .logits(tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32'))
      .slice([0, 0, 0], [1, 3, 11])
      .dataSync();
    const b = model
      .logits(tf.tensor2d([[1, 2, 3, 9, 9, 9]], [1, 6], 'int32'))
      .slice([0, 0, 0], [1, 3, 11])
      .dataSync();
    expect([...a]).toEqual([...b]);
    model.dispose();
  });

  it('counts parameters of the reference configs', () => {
    // tiny: 512·128 (embedding) + 4 × (2·128 + 4·128² + 3·128·512) + 128 + 128·512 (head) = 1,180,800
    const tiny = new MiniGpt({
      vocabSize: 512,
      contextLength: 128,
      dModel: 128,
      nLayers: 4,
      nHeads: 4,
      dFf: 512,
    });
    expect(parameterCount(tiny)).toBe(1_180_800);
    tiny.dispose();
  });

  it('rejects bad configs with every problem named', () => {
    expect(
      () =>
        new MiniGpt({
          vocabSize: 10,
          contextLength: 8,
          dModel: 100,
          nLayers: 1,
          nHeads: 3,
          nKvHeads: 2,
          dFf: 50,
        }),
    ).toThrow(ConfigError);
    try {
      new MiniGpt({
        vocabSize: 10,
        contextLength: 8,
        dModel: 100,
        nLayers: 1,
        nHeads: 3,
        nKvHeads: 2,
        dFf: 50,
      });
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'dModel 100: must be a multiple of 32 (quantized export needs 32-element blocks)',
        'dFf 50: must be a multiple of 32 (quantized export needs 32-element blocks)',
        'nHeads 3: must divide dModel (100)',
        'nKvHeads 2: must divide nHeads (3)',
      ]);
    }
  });
});
