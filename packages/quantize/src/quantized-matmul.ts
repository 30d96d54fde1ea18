import { UnsupportedTypeError } from './errors.js';
import { type IntQuantized, intCode } from './int-quant.js';

/**
 * Reference quantized matrix product `y = W·x` for a quantized weight matrix `W` of shape `[out, in]` and
 * float activations `x` of shape `[batch, in]` (row-major), giving `[batch, out]`. Integer codes are
 * multiplied by the activations and each group's sum is scaled once, as int8 kernels do:
 * `y[b][o] = Σ_groups scale_g · Σ_i (code_i - zero_g) · x[b][i]`.
 *
 * @example
 * ```ts
 * const w = quantizeInt(weights, [out, inDim], { bits: 8, symmetric: true, granularity: 'row' });
 * const y = quantizedMatmul(w, activations, batch); // compare with the float product to see the cost
 * ```
 */
export function quantizedMatmul(weights: IntQuantized, activations: Float32Array, batch = 1): Float32Array {
  const [outputs, inputs] = weights.shape;
  if (activations.length !== batch * inputs)
    throw new UnsupportedTypeError(
      `activations of length ${activations.length}`,
      `do not fit [${batch}, ${inputs}]`,
    );
  const out = new Float32Array(batch * outputs);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outputs; o++) {
      let total = 0;
      let groupSum = 0;
      let group = -1;
      for (let i = 0; i < inputs; i++) {
        const index = o * inputs + i;
        const g = Math.floor(index / weights.groupLength);
        if (g !== group) {
          if (group >= 0) total += groupSum * weights.scales[group]!;
          group = g;
          groupSum = 0;
        }
        groupSum += (intCode(weights, index) - weights.zeroPoints[g]!) * activations[b * inputs + i]!;
      }
      if (group >= 0) total += groupSum * weights.scales[group]!;
      out[b * outputs + o] = total;
    }
  }
  return out;
}
