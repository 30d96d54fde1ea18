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
