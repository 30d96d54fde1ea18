import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { GemmShape } from '../wasm-gemm.js';

/** Values of op(A)·op(B) summed in float64, the reference for the float32 kernels. */
export function gemmReference(a: Float32Array, b: Float32Array, shape: GemmShape): Float64Array {
  const { batches, m, n, k, transposeA, transposeB, batchedA, batchedB } = shape;
  const out = new Float64Array(batches * m * n);
  for (let batch = 0; batch < batches; batch++) {
    const aBase = batchedA ? batch * m * k : 0;
    const bBase = batchedB ? batch * k * n : 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let total = 0;
        for (let p = 0; p < k; p++)
          total +=
            a[aBase + (transposeA ? p * m + i : i * k + p)]! *
            b[bBase + (transposeB ? j * k + p : p * n + j)]!;
        out[(batch * m + i) * n + j] = total;
      }
  }
  return out;
}

/** Operands of a random product: a broadcast operand is one matrix for every batch. */
export function randomProduct(
  values: (length: number) => Float32Array,
  [batches, m, n, k, transposeA, transposeB, broadcastA, broadcastB]: [
    number,
    number,
    number,
    number,
    boolean,
    boolean,
    boolean,
    boolean,
  ],
): { a: Float32Array; b: Float32Array; shape: GemmShape } {
  const shape = { batches, m, n, k, transposeA, transposeB, batchedA: !broadcastA, batchedB: !broadcastB };
  return {
    a: values((broadcastA ? 1 : batches) * m * k),
    b: values((broadcastB ? 1 : batches) * k * n),
    shape,
  };
}

/** Expects `out` to be op(a)·op(b) within float32 rounding of the float64 sums. */
export function expectProduct(out: Float32Array, a: Float32Array, b: Float32Array, shape: GemmShape): void {
  const expected = gemmReference(a, b, shape);
  const { k } = shape;
  // Each term |a·b| ≤ 1: k float32 additions drift by at most about k · 2^-24 · k (k = 600: 5.6e-4).
  const tolerance = 1e-6 * Math.max(1, k) * Math.max(1, k / 64);
  for (let i = 0; i < out.length; i++) expect(Math.abs(out[i]! - expected[i]!)).toBeLessThan(tolerance);
}

/** A matMul case: A's shape, B's shape, transposeA, transposeB. */
export type MatMulCase = [number[], number[], boolean, boolean];

/** Runs every case's `tf.matMul` on the active backend with fixed random operands: shapes and values. */
export function matMulProducts(
  cases: readonly MatMulCase[],
  values: (length: number) => Float32Array,
): () => Array<{ shape: number[]; data: Float32Array }> {
  const inputs = cases.map(([aShape, bShape]) => [
    values(tf.util.sizeFromShape(aShape)),
    values(tf.util.sizeFromShape(bShape)),
  ]);
  return () =>
    cases.map(([aShape, bShape, transposeA, transposeB], i) =>
      tf.tidy(() => {
        const product = tf.matMul(
          tf.tensor(inputs[i]![0]!, aShape),
          tf.tensor(inputs[i]![1]!, bShape),
          transposeA,
          transposeB,
        );
        return { shape: product.shape, data: product.dataSync() as Float32Array };
      }),
    );
}
