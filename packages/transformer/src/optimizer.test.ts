import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, clipGradientNorm, learningRateAt } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('AdamW', () => {
  it('matches torch.optim.AdamW step by step (hand-computed)', () => {
    // p = [1, −2], lr 0.1, β 0.9/0.999, ε 1e-8, λ 0.1.
    // Step 1, g = [0.5, −1]: decay → [0.99, −1.98]; m = [0.05, −0.1]; v = [2.5e-4, 1e-3];
    //   m̂ = m / 0.1, v̂ = v / 0.001 → update lr·m̂/(√v̂ + ε) = [0.1, −0.1] → p = [0.89, −1.88].
    // Step 2, g = [0.1, 0.2]: decay → [0.8811, −1.8612]; m = [0.055, −0.07]; v = [2.5975e-4, 1.039e-3];
    //   bias corrections 0.19 and 0.001999 → p = [0.800795906, −1.810097394].
    const parameter = tf.variable(tf.tensor1d([1, -2]));
    const optimizer = new AdamW(new Map([['w', parameter]]), () => true, { weightDecay: 0.1 });
    optimizer.apply(new Map([['w', tf.tensor1d([0.5, -1])]]), 0.1);
    expect([...parameter.dataSync()].map((x) => +x.toFixed(6))).toEqual([0.89, -1.88]);
    optimizer.apply(new Map([['w', tf.tensor1d([0.1, 0.2])]]), 0.1);
    const [a, b] = parameter.dataSync();
    expect(a).toBeCloseTo(0.800795906, 6);
    expect(b).toBeCloseTo(-1.810097394, 6);
    const state = optimizer.state();
    expect([...state.get('w.m')!.dataSync()].map((x) => +x.toFixed(6))).toEqual([0.055, -0.07]);
    expect([...state.get('w.v')!.dataSync()].map((x) => +x.toFixed(8))).toEqual([0.00025975, 0.001039]);
  });

  it('does not decay parameters excluded from weight decay', () => {
    // With g = 0 the Adam update is 0 (m = 0), so only the decay could move the value.
    const norm = tf.variable(tf.tensor1d([2]));
    const weight = tf.variable(tf.tensor1d([2]));
    const optimizer = new AdamW(
      new Map([
        ['norm', norm],
        ['weight', weight],
      ]),
      (name) => name !== 'norm',
      { weightDecay: 0.5 },
    );
    optimizer.apply(
      new Map([
        ['norm', tf.tensor1d([0])],
        ['weight', tf.tensor1d([0])],
      ]),
      0.1,
    );
    expect(norm.dataSync()[0]).toBe(2);
    expect(weight.dataSync()[0]).toBeCloseTo(2 * (1 - 0.1 * 0.5), 7); // 1.9
  });
});

describe('clipGradientNorm', () => {
  it('scales by maxNorm / (norm + 1e-6) as torch does, and leaves small gradients alone', () => {
    // [3, 4] and [12]: norm √(9 + 16 + 144) = 13; max 1 → coefficient 1 / 13.000001.
    const gradients = new Map<string, tf.Tensor>([
      ['a', tf.tensor1d([3, 4])],
      ['b', tf.tensor1d([12])],
    ]);
    expect(clipGradientNorm(gradients, 1)).toBeCloseTo(13, 5);
    expect(gradients.get('a')!.dataSync()[0]).toBeCloseTo(3 / 13.000001, 6);
    expect(gradients.get('b')!.dataSync()[0]).toBeCloseTo(12 / 13.000001, 6);
    const small = new Map<string, tf.Tensor>([['a', tf.tensor1d([0.3, 0.4])]]);
    expect(clipGradientNorm(small, 1)).toBeCloseTo(0.5, 6);
    expect([...small.get('a')!.dataSync()]).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    const broken = new Map<string, tf.Tensor>([['a', tf.tensor1d([Number.NaN, 1])]]);
    expect(clipGradientNorm(broken, 1)).toBeNaN();
  });
});

describe('learningRateAt', () => {
  const schedule = { peak: 1e-3, warmupSteps: 10, decaySteps: 110, floor: 1e-4 };
  it('warms up linearly, decays by cosine to the floor, then stays there', () => {
    expect(learningRateAt(0, schedule)).toBeCloseTo(1e-4, 12); // (0 + 1)/10 · peak
    expect(learningRateAt(9, schedule)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(10, schedule)).toBeCloseTo(1e-3, 12); // cosine starts at the peak
    expect(learningRateAt(60, schedule)).toBeCloseTo(5.5e-4, 12); // halfway: floor + (peak − floor)/2
    expect(learningRateAt(110, schedule)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(500, schedule)).toBeCloseTo(1e-4, 12);
  });
  it('decays linearly or stays constant when asked', () => {
    expect(learningRateAt(35, { ...schedule, decay: 'linear' })).toBeCloseTo(1e-3 - 0.25 * 9e-4, 12);
    expect(learningRateAt(100, { ...schedule, decay: 'constant' })).toBe(1e-3);
  });
});
