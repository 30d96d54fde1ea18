import * as tf from '@tensorflow/tfjs';
import { AdamW, type AdamWOptions, clipGradientNorm } from './adamw.js';
import { TrainingDivergedError } from './errors.js';
import { type Evaluation, evaluate } from './evaluate.js';
import type { LanguageModel } from './language-model.js';
import { maskedCrossEntropy } from './loss.js';
import { SeededRandom } from './random.js';
import { type LearningRateSchedule, learningRateAt } from './schedule.js';
import { type Batch, disposeBatch, sampleBatch, type TokenSource } from './token-data.js';

/** Whether the active backend stores tensors in float16 (WebGL without float32 render targets). */
function computesInFloat16(): boolean {
  return tf.getBackend() === 'webgl' && !tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
}

/** Everything {@link Trainer} needs; every field but the model, data, batch size and steps has a default. */
export interface TrainerOptions {
  readonly model: LanguageModel;
  readonly train: TokenSource;
  /** Per-token loss weights aligned with `train` (chat data: 1 on assistant tokens, 0 elsewhere). */
  readonly trainWeights?: TokenSource;
  readonly validation?: TokenSource;
  /** Per-token loss weights aligned with `validation` (chat data: the assistant-only mask). */
  readonly validationWeights?: TokenSource;
  /** UTF-8 bytes per validation token, for bits per byte. */
  readonly validationBytesPerToken?: number;
  readonly batchSize: number;
  /** Default: the model's context length. */
  readonly sequenceLength?: number;
  /** Optimizer steps. */
  readonly steps: number;
  /** Micro-batches whose gradients are averaged into one step. Default 1. */
  readonly accumulation?: number;
  /** A schedule, or a constant learning rate. Default 3e-4 constant. */
  readonly learningRate?: LearningRateSchedule | number;
  readonly optimizer?: AdamWOptions;
  /** Global gradient-norm limit; 0 turns clipping off. Default 1. */
  readonly clipNorm?: number;
  /** Seeds batch sampling and dropout. Default 0. */
  readonly seed?: number;
  /** Evaluate on `validation` every this many steps (and after the last). Default 0: only at the end. */
  readonly evalEvery?: number;
  /** Validation batches per evaluation. Default 8. */
  readonly evalBatches?: number;
  /** Non-finite steps in a row before training stops with {@link TrainingDivergedError}. Default 5. */
  readonly maxBadSteps?: number;
  /**
   * Dynamic loss scaling (PyTorch GradScaler semantics) for float16 backends: the loss is multiplied by a
   * scale, gradients divided by it; an overflow skips the step and halves the scale, `growthInterval`
   * good steps double it. Default `'auto'`: on when the backend computes in float16 (WebGL without float32
   * textures), off otherwise.
   */
  readonly lossScaling?:
    | 'auto'
    | boolean
    | { readonly initialScale?: number; readonly growthInterval?: number };
  /** Called after every step. */
  readonly onProgress?: (progress: TrainingProgress) => void;
  /** Called after every step; return a promise to, for example, write a checkpoint. */
  readonly afterStep?: (trainer: Trainer, progress: TrainingProgress) => void | Promise<void>;
}

/** What each step reports: enough for a progress bar (loss, tokens/s, ETA) or a chart. */
export interface TrainingProgress {
  readonly step: number;
  readonly steps: number;
  /** NaN when the step was skipped for a non-finite loss or gradient. */
  readonly loss: number;
  readonly learningRate: number;
  readonly gradientNorm: number;
  readonly tokensPerSecond: number;
  readonly etaSeconds: number;
  /** Steps skipped so far (non-finite loss or gradient, or loss-scale overflow). */
  readonly skippedSteps: number;
  readonly validation?: Evaluation;
}

/** The state that, with the weights, resumes training exactly (saved in checkpoints). */
export interface TrainingState {
  readonly step: number;
  readonly randomState: number;
  readonly optimizerStep: number;
  readonly skippedSteps: number;
  readonly lossScale: number;
  readonly goodStepsSinceScale: number;
  readonly bestValidationLoss: number | null;
}

/**
 * The training loop both models share: batches sampled from a token source by a seeded generator,
 * gradient accumulation, loss masks, global-norm clipping, a learning-rate schedule, AdamW, a NaN/Inf
 * guard, optional dynamic loss scaling, periodic evaluation and progress events. Same seed and data give
 * the same loss curve on the cpu backend; {@link Trainer.state} and {@link Trainer.restore} carry
 * everything besides the weights, so a resumed run continues the same curve.
 *
 * @example
 * ```ts
 * const trainer = new Trainer({ model, train: arrayTokens(ids), batchSize: 16, steps: 200, learningRate: 1e-3 });
 * const { loss } = await trainer.fit();
 * ```
 */
export class Trainer {
  readonly optimizer: AdamW;
  step = 0;
  private readonly random: SeededRandom;
  private skippedSteps = 0;
  private badInARow = 0;
  private lossScale: number;
  private goodStepsSinceScale = 0;
  private bestValidationLoss: number | null = null;
  /** Whether dynamic loss scaling is on. */
  readonly scaling: boolean;
  private readonly variableNames = new Map<string, string>(); // tfjs variable name → parameter name
  private readonly trainable: tf.Variable[];

  constructor(readonly options: TrainerOptions) {
    this.optimizer = new AdamW(
      options.model.parameters,
      (name) => options.model.decays(name),
      options.optimizer,
    );
    this.random = new SeededRandom(options.seed ?? 0);
    const setting = options.lossScaling ?? 'auto';
    this.scaling = setting === 'auto' ? computesInFloat16() : setting !== false;
    this.lossScale = this.scaling
      ? ((typeof setting === 'object' ? setting.initialScale : undefined) ?? 2 ** 16)
      : 1;
    for (const [name, variable] of options.model.parameters) this.variableNames.set(variable.name, name);
    this.trainable = [...options.model.parameters.values()];
  }

  private get sequenceLength(): number {
    return this.options.sequenceLength ?? this.options.model.contextLength;
  }

  /** Loss and gradients of one micro-batch, unscaled. */
  private gradients(batch: Batch, seed: number): { loss: number; gradients: Map<string, tf.Tensor> } {
    const { model } = this.options;
    let unscaled: tf.Scalar | undefined; // the loss before scaling: finite even when the scaled one overflows
    const { value, grads } = tf.variableGrads(() => {
      const loss = maskedCrossEntropy(
        model.logits(batch.inputs, { training: true, seed }),
        batch.targets,
        batch.weights,
      );
      unscaled = tf.keep(loss.clone());
      return loss.mul(this.lossScale);
    }, this.trainable); // only the model's parameters: a LoRA wrapper's frozen base gets no gradient
    const loss = unscaled!.dataSync()[0]!;
    unscaled!.dispose();
    value.dispose();
    const gradients = new Map<string, tf.Tensor>();
    for (const [variableName, gradient] of Object.entries(grads)) {
      const name = this.variableNames.get(variableName);
      if (name === undefined) {
        gradient.dispose();
        continue;
      }
      gradients.set(name, this.lossScale === 1 ? gradient : tf.tidy(() => gradient.div(this.lossScale)));
      if (this.lossScale !== 1) gradient.dispose();
    }
    return { loss, gradients };
  }

  /** One optimizer step (with accumulation); returns its loss (NaN when skipped) and gradient norm. */
  trainStep(): { loss: number; gradientNorm: number; learningRate: number } {
    const { options } = this;
    const accumulation = options.accumulation ?? 1;
    let total: Map<string, tf.Tensor> | undefined;
    let lossSum = 0;
    for (let micro = 0; micro < accumulation; micro++) {
      const batch = sampleBatch(
        options.train,
        options.batchSize,
        this.sequenceLength,
        this.random,
        options.trainWeights,
      );
      const seed = this.random.integer(2 ** 31);
      const { loss, gradients } = this.gradients(batch, seed);
      disposeBatch(batch);
      lossSum += loss;
      if (!total) total = gradients;
      else
        for (const [name, gradient] of gradients) {
          const sum = tf.add(total.get(name)!, gradient);
          total.get(name)!.dispose();
          gradient.dispose();
          total.set(name, sum);
        }
    }
    const gradients = total!;
    if (accumulation > 1)
      for (const [name, gradient] of gradients) {
        gradients.set(
          name,
          tf.tidy(() => gradient.div(accumulation)),
        );
        gradient.dispose();
      }
    const loss = lossSum / accumulation;
    const clip = options.clipNorm ?? 1;
    const gradientNorm = clipGradientNorm(gradients, clip > 0 ? clip : Number.POSITIVE_INFINITY);
    const schedule = options.learningRate ?? 3e-4;
    const learningRate = typeof schedule === 'number' ? schedule : learningRateAt(this.step, schedule);
    const finite = Number.isFinite(loss) && Number.isFinite(gradientNorm);
    this.step++;
    if (finite) {
      this.optimizer.apply(gradients, learningRate);
      this.badInARow = 0;
      if (this.scaling && ++this.goodStepsSinceScale >= this.growthInterval) {
        this.lossScale *= 2;
        this.goodStepsSinceScale = 0;
      }
    } else {
      this.skippedSteps++;
      const overflow = this.scaling && Number.isFinite(loss);
      if (this.scaling) {
        this.lossScale = Math.max(1, this.lossScale / 2);
        this.goodStepsSinceScale = 0;
      }
      // With loss scaling, a gradient overflow is expected now and then; only a bad loss counts as divergence.
      if (!overflow && ++this.badInARow >= (options.maxBadSteps ?? 5)) {
        for (const gradient of gradients.values()) gradient.dispose();
        throw new TrainingDivergedError(this.step, this.badInARow, options.maxBadSteps ?? 5);
      }
    }
    for (const gradient of gradients.values()) gradient.dispose();
    return { loss: finite ? loss : Number.NaN, gradientNorm, learningRate };
  }

  private get growthInterval(): number {
    return typeof this.options.lossScaling === 'object'
      ? (this.options.lossScaling.growthInterval ?? 2000)
      : 2000;
  }

  /** Validation loss, perplexity and bits per byte on up to `evalBatches` consecutive windows. */
  evaluate(): Evaluation | undefined {
    const { validation } = this.options;
    if (!validation) return undefined;
    const result = evaluate(this.options.model, validation, {
      batchSize: this.options.batchSize,
      sequenceLength: this.sequenceLength,
      maxBatches: this.options.evalBatches ?? 8,
      ...(this.options.validationWeights ? { weights: this.options.validationWeights } : {}),
      ...(this.options.validationBytesPerToken
        ? { bytesPerToken: this.options.validationBytesPerToken }
        : {}),
    });
    if (this.bestValidationLoss === null || result.loss < this.bestValidationLoss)
      this.bestValidationLoss = result.loss;
    return result;
  }

  /** Runs the remaining steps, emitting progress; returns the last step's progress. */
  async fit(): Promise<TrainingProgress> {
    const { options } = this;
    const tokensPerStep = options.batchSize * this.sequenceLength * (options.accumulation ?? 1);
    const started = performance.now();
    const firstStep = this.step;
    let last: TrainingProgress | undefined;
    while (this.step < options.steps) {
      const { loss, gradientNorm, learningRate } = this.trainStep();
      const elapsed = (performance.now() - started) / 1000;
      const done = this.step - firstStep;
      const evalEvery = options.evalEvery ?? 0;
      const validation =
        (evalEvery > 0 && this.step % evalEvery === 0) || this.step === options.steps
          ? this.evaluate()
          : undefined;
      last = {
        step: this.step,
        steps: options.steps,
        loss,
        learningRate,
        gradientNorm,
        tokensPerSecond: (done * tokensPerStep) / elapsed,
        etaSeconds: (elapsed / done) * (options.steps - this.step),
        skippedSteps: this.skippedSteps,
        ...(validation ? { validation } : {}),
      };
      options.onProgress?.(last);
      await options.afterStep?.(this, last);
    }
    if (!last) throw new RangeError(`nothing to do: step ${this.step} of ${options.steps}`);
    return last;
  }

  /** Everything besides the weights and moments that a resumed run needs. */
  state(): TrainingState {
    return {
      step: this.step,
      randomState: this.random.state,
      optimizerStep: this.optimizer.step,
      skippedSteps: this.skippedSteps,
      lossScale: this.lossScale,
      goodStepsSinceScale: this.goodStepsSinceScale,
      bestValidationLoss: this.bestValidationLoss,
    };
  }

  /** Restores {@link Trainer.state} (the weights and moments are restored separately). */
  restore(state: TrainingState): void {
    this.step = state.step;
    this.random.state = state.randomState;
    this.optimizer.step = state.optimizerStep;
    this.skippedSteps = state.skippedSteps;
    this.lossScale = state.lossScale;
    this.goodStepsSinceScale = state.goodStepsSinceScale;
    this.bestValidationLoss = state.bestValidationLoss;
  }

  /** Frees the optimizer's moments (the model is the caller's). */
  dispose(): void {
    this.optimizer.dispose();
  }
}
