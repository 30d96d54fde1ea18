import { fc, test } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { hasFastMatMul, registerFastKernels, restoreTfjsKernels } from './fast-kernels.js';
import {
  AdamW,
  applyRope,
  LstmLm,
  MiniGpt,
  maskedCrossEntropy,
  rmsNorm,
  ropeHeads,
  ropeTables,
  SeededRandom,
  selectBackend,
  useNativeGemm,
} from './index.js';
import { lstmCell } from './lstm-cell.js';
import { lstmSequence } from './lstm-sequence.js';
import { expectProduct, matMulProducts, randomProduct } from './testing/gemm-reference.js';
import { trainingLosses } from './testing/training-losses.js';
import { KERNELS_WASM_BASE64 } from './wasm/kernels.generated.js';
import { SHARED_KERNELS_WASM_BASE64 } from './wasm/kernels-shared.generated.js';
import { wasmGemm } from './wasm-gemm.js';

afterAll(async () => {
  await selectBackend('cpu'); // leaves the fast kernels registered, as selectBackend does everywhere else
});

const random = new SeededRandom(5);
const values = (length: number) => Float32Array.from({ length }, () => random.next() * 2 - 1);

// Sizes around the kernel's edges: tiles of 4 × 8, rows in blocks of 128, depth in slices of 256, and the
// one-to-three-row path for generation.
const size = fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 13, max: 140 }));
const depth = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(255, 256, 257, 600));

describe('the kernels module', () => {
  it('writes nothing into the memory it imports when instantiated (it runs on the tfjs wasm heap)', () => {
    for (const base64 of [KERNELS_WASM_BASE64, SHARED_KERNELS_WASM_BASE64]) {
      const shared = base64 === SHARED_KERNELS_WASM_BASE64;
      const memory = new WebAssembly.Memory({
        initial: 2,
        ...(shared ? { maximum: 16_384, shared: true } : {}),
      });
      new Uint8Array(memory.buffer).fill(0xa5);
      const module = new WebAssembly.Module(Uint8Array.from(atob(base64), (char) => char.charCodeAt(0)));
      new WebAssembly.Instance(module, { env: { memory } });
      expect(new Uint8Array(memory.buffer).every((byte) => byte === 0xa5)).toBe(true);
    }
  });
});

describe('WebAssembly SIMD GEMM', () => {
  test.prop(
    [
      fc.integer({ min: 1, max: 3 }),
      size,
      size,
      depth,
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
    ],
    {
      numRuns: 60,
    },
  )('equals float64 op(A)·op(B) within float32 rounding, every transpose and broadcast', (...sizes) => {
    const { a, b, shape } = randomProduct(values, sizes);
    const out = new Float32Array(shape.batches * shape.m * shape.n).fill(Number.NaN);
    wasmGemm(a, b, out, shape);
    expectProduct(out, a, b, shape);
  });

  it('serves tf.matMul on the wasm backend (in its heap) and the cpu backend, same values as tfjs, with and without the native GEMM', async () => {
    const products = matMulProducts(
      [
        [[3, 70, 33], [3, 33, 45], false, false], // batched
        [[2, 4, 33, 70], [2, 4, 45, 70], false, true], // attention scores: q · kᵀ
        [[130, 9], [130, 300], true, false], // weight gradient: xᵀ · dy
        [[1, 260], [7, 260], false, true], // one token
        [[5, 17], [3, 17, 6], false, false], // one matrix against a batch
      ],
      values,
    );
    await selectBackend('cpu');
    restoreTfjsKernels();
    expect(hasFastMatMul()).toBe(false);
    const tfjs = products();
    for (const [backend, native] of [
      ['wasm', false],
      ['cpu', false],
      ['wasm', true],
      ['cpu', true],
    ] as const) {
      await selectBackend(backend);
      useNativeGemm(native); // the AVX2 addon where it is built, else the WebAssembly GEMM either way
      expect(hasFastMatMul()).toBe(true);
      for (const [i, { shape, data }] of products().entries()) {
        expect(shape).toEqual(tfjs[i]!.shape);
        let worst = 0;
        for (let j = 0; j < data.length; j++) worst = Math.max(worst, Math.abs(data[j]! - tfjs[i]!.data[j]!));
        expect(worst).toBeLessThan(1e-4);
      }
    }
    useNativeGemm(true);
  });
});

describe('fused RoPE kernel', () => {
  it('gives the values and gradient of applyRope + transpose, at an offset too', async () => {
    const { cos, sin } = ropeTables(16, 8, 10_000);
    const x = tf.tensor4d(values(2 * 5 * 3 * 8), [2, 5, 3, 8]);
    const weights = tf.tensor4d(values(2 * 3 * 5 * 8), [2, 3, 5, 8]); // a loss Σ w · rope(x) with an uneven gradient
    const run = (fused: boolean) => {
      if (fused) registerFastKernels();
      else restoreTfjsKernels();
      const f = (input: tf.Tensor) =>
        (fused
          ? ropeHeads(input as tf.Tensor4D, cos, sin, 7)
          : applyRope(input as tf.Tensor4D, cos, sin, 7).transpose([0, 2, 1, 3])
        )
          .mul(weights)
          .sum();
      return tf.tidy(() => {
        const { value, grad } = tf.valueAndGrad(f)(x);
        const rotated = fused ? ropeHeads(x, cos, sin, 7) : applyRope(x, cos, sin, 7).transpose([0, 2, 1, 3]);
        return {
          value: value.dataSync()[0]!,
          grad: grad.dataSync() as Float32Array,
          rotated: rotated.dataSync() as Float32Array,
        };
      });
    };
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend(backend);
      const composite = run(false);
      const fused = run(true);
      expect(Math.abs(fused.value - composite.value)).toBeLessThan(1e-5);
      for (let i = 0; i < fused.rotated.length; i++)
        expect(Math.abs(fused.rotated[i]! - composite.rotated[i]!)).toBeLessThan(1e-6);
      for (let i = 0; i < fused.grad.length; i++)
        expect(Math.abs(fused.grad[i]! - composite.grad[i]!)).toBeLessThan(1e-6);
    }
    for (const tensor of [cos, sin, x, weights]) tensor.dispose();
  });
});

/** Value and input gradients of Σ w · f(inputs), with lm-stack's kernels on or off. */
function valueAndGradients(
  fused: boolean,
  f: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
): { value: Float32Array; gradients: Float32Array[] } {
  if (fused) registerFastKernels();
  else restoreTfjsKernels();
  return tf.tidy(() => {
    const out = f(...inputs);
    const upstream = new SeededRandom(9); // the same uneven upstream gradient for both runs
    const weights = tf.tensor(
      Float32Array.from({ length: out.size }, () => upstream.next() - 0.5),
      out.shape,
    );
    const gradients = tf.grads((...args: tf.Tensor[]) =>
      f(...args)
        .mul(weights)
        .sum(),
    )(inputs);
    return {
      value: out.dataSync() as Float32Array,
      gradients: gradients.map((gradient) => gradient.dataSync() as Float32Array),
    };
  });
}

function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThan(tolerance);
}

describe('fused RMSNorm, LSTM cell and AdamW kernels', () => {
  it('RMSNorm: values and the gradients of x and the weight equal the tfjs composite', async () => {
    const x = tf.tensor3d(values(2 * 5 * 12), [2, 5, 12]);
    const weight = tf.tensor1d(values(12));
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend(backend);
      const norm = (input: tf.Tensor, gain: tf.Tensor) => rmsNorm(input, gain as tf.Tensor1D, 1e-5);
      const composite = valueAndGradients(false, norm, [x, weight]);
      const fused = valueAndGradients(true, norm, [x, weight]);
      expectClose(fused.value, composite.value, 1e-5);
      expectClose(fused.gradients[0]!, composite.gradients[0]!, 1e-5);
      expectClose(fused.gradients[1]!, composite.gradients[1]!, 1e-5);
    }
    x.dispose();
    weight.dispose();
  });

  it('LSTM cell: h, c′ and the gradients of the gates and c equal the tfjs composite (hidden 6: a ragged SIMD tail)', async () => {
    const gates = tf.tensor2d(
      values(3 * 24).map((value) => value * 4),
      [3, 24],
    );
    const c = tf.tensor2d(values(3 * 6), [3, 6]);
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend(backend);
      // h and c′ side by side, so the test sees both outputs and both gradient paths
      const cell = (g: tf.Tensor, state: tf.Tensor) => {
        const { h, c: next } = lstmCell(g, state);
        return tf.concat([h, next], 1);
      };
      const composite = valueAndGradients(false, cell, [gates, c]);
      const fused = valueAndGradients(true, cell, [gates, c]);
      // The kernel's exp is a polynomial (relative error ~2e-7)
      expectClose(fused.value, composite.value, 1e-5);
      expectClose(fused.gradients[0]!, composite.gradients[0]!, 1e-5);
      expectClose(fused.gradients[1]!, composite.gradients[1]!, 1e-5);
    }
    gates.dispose();
    c.dispose();
  });

  it('LSTM layer over a sequence: outputs, final h and c and the gradients of gates, hidden weight and initial state equal the step-by-step loop', async () => {
    await selectBackend('cpu');
    const [seq, batch, hidden] = [7, 3, 6]; // hidden 6: a ragged SIMD tail
    const gates = tf.tensor3d(values(seq * batch * 4 * hidden), [seq, batch, 4 * hidden]);
    const weight = tf.tensor2d(values(hidden * 4 * hidden), [hidden, 4 * hidden]);
    const h0 = tf.tensor2d(values(batch * hidden), [batch, hidden]);
    const c0 = tf.tensor2d(values(batch * hidden), [batch, hidden]);
    // Every output in one vector, so the upstream gradient reaches the outputs, the final h and the final c.
    const layer = (...inputs: tf.Tensor[]) => {
      const [g, w, h, c] = inputs as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const result = lstmSequence(g, w, h, c);
      return tf.concat([result.outputs.reshape([-1]), result.h.reshape([-1]), result.c.reshape([-1])]);
    };
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend(backend);
      const loop = valueAndGradients(false, layer, [gates, weight, h0, c0]);
      const before = tf.memory().numTensors;
      const fused = valueAndGradients(true, layer, [gates, weight, h0, c0]);
      expect(tf.memory().numTensors).toBe(before);
      expectClose(fused.value, loop.value, 1e-5);
      for (const [i, gradient] of fused.gradients.entries()) expectClose(gradient, loop.gradients[i]!, 1e-5);
    }
    tf.dispose([gates, weight, h0, c0]);
  });

  it("Sum over leading or trailing axes (and every other form, left to tfjs) equals tfjs's own", async () => {
    await selectBackend('cpu');
    const x = tf.tensor3d(values(5 * 7 * 6), [5, 7, 6]);
    const column = tf.tensor2d(values(9), [9, 1]); // leading, one wide: tfjs's kernel
    const cases: Array<[tf.Tensor, number | number[] | null, boolean]> = [
      [x, [0, 1], false], // a bias gradient: [batch, seq, features] → [features]
      [x, 0, true],
      [x, -1, false], // trailing: row sums
      [x, [1, 2], true],
      [x, null, false], // everything
      [x, [2, 0, 1], false], // unsorted, everything
      [x, 1, false], // a middle axis: tfjs's kernel
      [column, 0, false],
    ];
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend(backend);
      for (const [input, axis, keepDims] of cases) {
        restoreTfjsKernels();
        const theirs = tf.tidy(() => tf.sum(input, axis ?? undefined, keepDims));
        registerFastKernels();
        const ours = tf.tidy(() => tf.sum(input, axis ?? undefined, keepDims));
        expect(ours.shape).toEqual(theirs.shape);
        expectClose(ours.dataSync() as Float32Array, theirs.dataSync() as Float32Array, 1e-5);
        tf.dispose([ours, theirs]);
      }
    }
    tf.dispose([x, column]);
  });

  it('cross-entropy: loss and logit gradient equal the tfjs composite, with weights and a ragged vocabulary', async () => {
    await selectBackend('cpu');
    const logits = tf.tensor3d(
      values(2 * 5 * 37).map((value) => value * 6),
      [2, 5, 37],
    ); // 37: a SIMD tail
    const targets = tf.tensor2d([3, 0, 36, 12, 7, 5, 5, 1, 30, 2], [2, 5], 'int32');
    const weights = tf.tensor2d([1, 0, 1, 1, 0.5, 0, 1, 1, 1, 2], [2, 5]);
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend(backend);
      for (const w of [undefined, weights]) {
        const loss = (input: tf.Tensor) => maskedCrossEntropy(input as tf.Tensor3D, targets, w);
        const composite = valueAndGradients(false, loss, [logits]);
        const fused = valueAndGradients(true, loss, [logits]);
        expectClose(fused.value, composite.value, 1e-5);
        expectClose(fused.gradients[0]!, composite.gradients[0]!, 1e-6);
      }
    }
    // A target outside the vocabulary: the composite's answer (its one-hot row is zero), not a wrong read
    const outside = tf.tensor2d([3, 0, 40, 12, 7, 5, 5, 1, 30, 2], [2, 5], 'int32');
    registerFastKernels();
    const fused = tf.tidy(() => maskedCrossEntropy(logits, outside).dataSync()[0]!);
    restoreTfjsKernels();
    const composite = tf.tidy(() => maskedCrossEntropy(logits, outside).dataSync()[0]!);
    // (the fallback's sums run on lm-stack's Sum kernel, which adds four lanes at a time: float32 rounding)
    expect(Math.abs(fused - composite)).toBeLessThan(1e-5);
    for (const tensor of [logits, targets, weights, outside]) tensor.dispose();
  });

  it('AdamW: three fused updates equal the tfjs-op updates (with and without decay)', async () => {
    const run = (fused: boolean) => {
      if (fused) registerFastKernels();
      else restoreTfjsKernels();
      const parameters = new Map<string, tf.Variable>([
        ['w', tf.variable(tf.tensor2d(values(12), [3, 4]))],
        ['w_norm', tf.variable(tf.tensor1d(values(4)))],
      ]);
      const optimizer = new AdamW(parameters, (name) => !name.endsWith('_norm'), { weightDecay: 0.1 });
      for (let step = 0; step < 3; step++) {
        const gradients = new Map(
          [...parameters].map(([name, p]) => [name, tf.tensor(values(p.size), p.shape)]),
        );
        optimizer.apply(gradients, 1e-2);
        for (const gradient of gradients.values()) gradient.dispose();
      }
      const out = [...parameters.values(), ...optimizer.state().values()].map(
        (t) => t.dataSync() as Float32Array,
      );
      optimizer.dispose();
      for (const p of parameters.values()) p.dispose();
      return out;
    };
    await selectBackend('wasm');
    const state = random.state;
    const composite = run(false);
    random.state = state;
    const fused = run(true);
    for (const [i, values] of fused.entries()) expectClose(values, composite[i]!, 1e-6);
  });
});

describe('training on the fast path', () => {
  const tokens = Int32Array.from({ length: 400 }, (_, i) => (i * 7 + (i >> 2)) % 37);
  async function losses(kind: 'minigpt' | 'lstm'): Promise<number[]> {
    const model =
      kind === 'minigpt'
        ? new MiniGpt(
            { vocabSize: 37, contextLength: 16, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, dFf: 64 },
            3,
          )
        : new LstmLm({ vocabSize: 37, contextLength: 16, embeddingSize: 16, hiddenSize: 24, nLayers: 2 }, 3);
    return trainingLosses(model, tokens, { batchSize: 6, steps: 8 });
  }

  it("gives tfjs's cpu-backend losses within 1e-4 over 8 steps (MiniGPT and LSTM, WebAssembly and native GEMM), and leaks no tensors", async () => {
    for (const [kind, native] of [
      ['minigpt', false],
      ['lstm', false],
      ['minigpt', true],
      ['lstm', true],
    ] as const) {
      await selectBackend('cpu');
      restoreTfjsKernels(); // tfjs's own kernels: the reference
      const reference = await losses(kind);
      await selectBackend('wasm'); // registers lm-stack's kernels
      useNativeGemm(native); // products on the WebAssembly GEMM, then on the AVX2 addon where it is built
      expect(hasFastMatMul()).toBe(true);
      const before = tf.memory().numTensors;
      const fast = await losses(kind);
      expect(tf.memory().numTensors).toBe(before);
      expect(fast).toHaveLength(8);
      for (const [i, loss] of fast.entries()) expect(Math.abs(loss - reference[i]!)).toBeLessThan(1e-4);
    }
    useNativeGemm(true);
  }, 180_000);
});
