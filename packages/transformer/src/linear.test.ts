import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { frozenLinear, linear } from './linear.js';

describe('linear and frozenLinear', () => {
  it('frozenLinear has the value and input gradient of linear, and gives the weight no gradient', () => {
    const before = tf.memory().numTensors;
    // x [2, 3, 4] · W [4, 5]: worked case with small integers so every number is exact in float32
    const x = tf.tensor3d(
      Array.from({ length: 24 }, (_, i) => (i % 7) - 3),
      [2, 3, 4],
    );
    const weight = tf.tidy(() =>
      tf.variable(
        tf.tensor2d(
          Array.from({ length: 20 }, (_, i) => (i % 5) - 2),
          [4, 5],
        ),
      ),
    );
    const loss = (f: typeof linear) => (input: tf.Tensor) => f(input, weight).square().sum() as tf.Scalar;
    tf.tidy(() => {
      expect([...frozenLinear(x, weight).dataSync()]).toEqual([...linear(x, weight).dataSync()]);
    });
    const dxTrainable = tf.grad(loss(linear))(x);
    const dxFrozen = tf.grad(loss(frozenLinear))(x);
    expect([...dxFrozen.dataSync()]).toEqual([...dxTrainable.dataSync()]);
    // With the weight in the variable list, linear yields its gradient and frozenLinear none.
    const trainable = tf.variableGrads(() => loss(linear)(x), [weight]);
    expect(trainable.grads[weight.name]).toBeDefined();
    expect(() => tf.tidy(() => tf.variableGrads(() => loss(frozenLinear)(x), [weight]).value)).toThrow(
      /Cannot find a connection/,
    );
    tf.dispose([x, weight, dxTrainable, dxFrozen, trainable.value, ...Object.values(trainable.grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
