import * as tf from '@tensorflow/tfjs';
import { adamWKernel } from './adamw-kernel.js';

/** AdamW's hyperparameters (PyTorch's defaults, except weight decay 0.1 as in GPT training). */
export interface AdamWOptions {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
}

/**
 * AdamW (Loshchilov & Hutter 2019) computed exactly as `torch.optim.AdamW` does, step by step:
 *
 *     p ← p · (1 − lr·λ)                      (decoupled decay; only where `decays(name)`)
 *     m ← β1·m + (1 − β1)·g
 *     v ← β2·v + (1 − β2)·g²
 *     p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 *
 * Moments live in tfjs variables; {@link AdamW.state} and {@link AdamW.restore} save and load them.
 *
 * @example
 * ```ts
 * const optimizer = new AdamW(model.parameters, (name) => model.decays(name), { weightDecay: 0.1 });
 * optimizer.apply(gradients, 3e-4);
 * ```
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Updates applied so far (t in the bias corrections). */
  step = 0;
  private readonly first = new Map<string, tf.Variable>();
  private readonly second = new Map<string, tf.Variable>();

  constructor(
    private readonly parameters: ReadonlyMap<string, tf.Variable>,
    private readonly decays: (name: string) => boolean = () => true,
    options: AdamWOptions = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    for (const [name, parameter] of parameters) {
      this.first.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(parameter), false)),
      );
      this.second.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(parameter), false)),
      );
    }
  }

  /** One update of every parameter that has a gradient. */
  apply(gradients: ReadonlyMap<string, tf.Tensor>, learningRate: number): void {
    this.step++;
    const correction1 = 1 - this.beta1 ** this.step;
    const correction2 = 1 - this.beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, parameter] of this.parameters) {
        const gradient = gradients.get(name);
        if (!gradient) continue;
        const m = this.first.get(name)!;
        const v = this.second.get(name)!;
        const decays = this.weightDecay > 0 && this.decays(name);
        const fused = adamWKernel(parameter, m, v, gradient, {
          learningRate,
          beta1: this.beta1,
          beta2: this.beta2,
          eps: this.eps,
          decay: decays ? 1 - learningRate * this.weightDecay : 1,
          correction1,
          correction2,
        });
        if (fused) {
          // one kernel on wasm and cpu after registerFastKernels
          parameter.assign(fused[0]);
          m.assign(fused[1]);
          v.assign(fused[2]);
          continue;
        }
        let value: tf.Tensor = parameter;
        if (decays) value = value.mul(1 - learningRate * this.weightDecay);
        m.assign(m.mul(this.beta1).add(gradient.mul(1 - this.beta1)));
        v.assign(v.mul(this.beta2).add(gradient.square().mul(1 - this.beta2)));
        const denominator = v.sqrt().div(Math.sqrt(correction2)).add(this.eps);
        parameter.assign(value.sub(m.div(denominator).mul(learningRate / correction1)));
      }
    });
  }

  /** The moments by parameter name (`<name>.m`, `<name>.v`), for checkpoints. */
  state(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const name of this.parameters.keys()) {
      out.set(`${name}.m`, this.first.get(name)!);
      out.set(`${name}.v`, this.second.get(name)!);
    }
    return out;
  }

  /** Loads moments saved by {@link AdamW.state} and the step count. */
  restore(moments: ReadonlyMap<string, Float32Array>, step: number): void {
    for (const [key, variable] of this.state()) {
      const values = moments.get(key);
      if (!values || values.length !== variable.size)
        throw new RangeError(
          `optimizer state ${key}: expected ${variable.size} values, got ${values?.length ?? 'none'}`,
        );
      variable.assign(tf.tensor(values, variable.shape));
    }
    this.step = step;
  }

  /** Frees the moments. */
  dispose(): void {
    for (const variable of [...this.first.values(), ...this.second.values()]) variable.dispose();
  }
}

/**
 * Scales gradients in place so their global L2 norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_` does (coefficient maxNorm / (norm + 1e-6), capped at 1). Returns the
 * norm before clipping (NaN or Infinity when a gradient is not finite).
 *
 * @example
 * ```ts
 * const norm = clipGradientNorm(gradients, 1.0);
 * ```
 */
export function clipGradientNorm(gradients: Map<string, tf.Tensor>, maxNorm: number): number {
  const normTensor = tf.tidy(() =>
    tf.addN([...gradients.values()].map((gradient) => gradient.square().sum())).sqrt(),
  );
  const norm = normTensor.dataSync()[0]!;
  normTensor.dispose();
  const coefficient = maxNorm / (norm + 1e-6);
  if (Number.isFinite(norm) && coefficient < 1)
    for (const [name, gradient] of gradients) {
      gradients.set(name, tf.keep(gradient.mul(coefficient)));
      gradient.dispose();
    }
  return norm;
}
