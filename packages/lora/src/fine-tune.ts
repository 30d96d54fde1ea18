import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BpeTokenizer, CHATML, type ChatTemplate } from '@lm-stack/tokenizer';
import {
  arrayTokens,
  evaluate,
  type LearningRateSchedule,
  type MiniGpt,
  parameterCount,
  Trainer,
  type TrainingProgress,
} from '@lm-stack/transformer';
import { loadCheckpoint, saveCheckpoint, writeFileAtomic } from '@lm-stack/transformer/node';
import { type ChatExample, chatDatasetHash, packChats } from './chat-data.js';
import { LoraConfigError } from './errors.js';
import { LoraAdapter } from './lora-adapter.js';
import type { LoraConfigInput } from './lora-config.js';
import { LoraModel } from './lora-model.js';

/** What {@link fineTune} needs; everything but the base, tokenizer, data, LoRA settings and steps has a default. */
export interface FineTuneOptions {
  /** The frozen base (trained here, or imported from GGUF / Hugging Face). */
  readonly base: MiniGpt;
  readonly tokenizer: BpeTokenizer;
  readonly train: readonly ChatExample[];
  readonly validation?: readonly ChatExample[];
  readonly lora: LoraConfigInput;
  /** Default ChatML; the tokenizer must know its end-of-turn token. */
  readonly template?: ChatTemplate;
  readonly steps: number;
  /** Default 8. */
  readonly batchSize?: number;
  /** Default: the base's context, or less when the data is shorter. */
  readonly sequenceLength?: number;
  /** Default 1e-3 constant (LoRA takes larger rates than full fine-tuning). */
  readonly learningRate?: LearningRateSchedule | number;
  /** Seeds the adapter's initialisation, batches and dropout. Default 0. */
  readonly seed?: number;
  /** Evaluate every this many steps (and at the end). Default 0: at the end only. */
  readonly evalEvery?: number;
  /**
   * A folder for checkpoints (every `checkpointEvery` steps and at the end) and `report.json`. When it
   * holds a checkpoint of this run, training resumes from it.
   */
  readonly runDirectory?: string;
  /** Default 100. */
  readonly checkpointEvery?: number;
  readonly onProgress?: (progress: TrainingProgress) => void;
}

/** What a fine-tuning run reports (and writes as `report.json` in its run folder). */
export interface FineTuneReport {
  readonly baseHash: string;
  readonly datasetHash: string;
  readonly hyperparameters: Record<string, unknown>;
  readonly trainableParameters: number;
  readonly baseParameters: number;
  readonly steps: number;
  readonly trainTokens: number;
  /** Assistant tokens (those with loss) among them. */
  readonly trainedTokens: number;
  readonly finalTrainLoss: number;
  readonly tokensPerSecond: number;
  /** Assistant-only validation loss of the base alone (the adapter starts at zero) and after training. */
  readonly validationLoss?: { readonly before: number; readonly after: number };
  readonly seconds: number;
  readonly created: string;
}

/**
 * Fine-tunes a LoRA adapter on chat data: conversations rendered through the chat template with the
 * assistant-only loss mask and packed end to end, then the transformer's training loop (AdamW, clipping,
 * schedule, checkpoints, resume) with only the adapter trainable. The base stays bit-identical.
 *
 * @example
 * ```ts
 * const { adapter, report } = await fineTune({ base, tokenizer, train, validation, lora: { rank: 8 }, steps: 300 });
 * report.validationLoss; // { before: 3.9, after: 1.2 }
 * ```
 */
export async function fineTune(
  options: FineTuneOptions,
): Promise<{ adapter: LoraAdapter; report: FineTuneReport }> {
  const { base, tokenizer } = options;
  const template = options.template ?? CHATML;
  const started = performance.now();
  const train = packChats(tokenizer, options.train, template);
  const validation = options.validation?.length
    ? packChats(tokenizer, options.validation, template)
    : undefined;
  const sequenceLength =
    options.sequenceLength ??
    Math.min(
      base.contextLength,
      train.tokens.length - 1,
      validation ? validation.tokens.length - 1 : Infinity,
    );
  if (sequenceLength < 2 || sequenceLength > base.contextLength || train.tokens.length < sequenceLength + 1)
    throw new LoraConfigError(
      'sequenceLength',
      sequenceLength,
      `must be from 2 to the context ${base.contextLength} and fit the ${train.tokens.length} training tokens`,
    );
  const adapter = LoraAdapter.create(base, options.lora, options.seed ?? 0);
  const model = new LoraModel(base, [{ adapter }]);
  const batchSize = options.batchSize ?? 8;
  const validationData = validation
    ? { source: arrayTokens(validation.tokens), weights: arrayTokens(validation.weights) }
    : undefined;
  const validationLoss = () =>
    validationData &&
    evaluate(model, validationData.source, {
      batchSize,
      sequenceLength,
      weights: validationData.weights,
    }).loss;
  const before = validationLoss();
  const trainer = new Trainer({
    model,
    train: arrayTokens(train.tokens),
    trainWeights: arrayTokens(train.weights),
    ...(validationData
      ? { validation: validationData.source, validationWeights: validationData.weights }
      : {}),
    batchSize,
    sequenceLength,
    steps: options.steps,
    learningRate: options.learningRate ?? 1e-3,
    seed: options.seed ?? 0,
    evalEvery: options.evalEvery ?? 0,
    evalBatches: Number.MAX_SAFE_INTEGER,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.runDirectory
      ? {
          afterStep: async (current: Trainer, progress: TrainingProgress) => {
            if (progress.step % (options.checkpointEvery ?? 100) === 0 || progress.step === options.steps)
              await saveCheckpoint(join(options.runDirectory!, 'checkpoints'), current, {
                ...(progress.validation ? { validationLoss: progress.validation.loss } : {}),
              });
          },
        }
      : {}),
  });
  try {
    const checkpoints = options.runDirectory && join(options.runDirectory, 'checkpoints');
    if (checkpoints && existsSync(join(checkpoints, 'checkpoints.json')))
      loadCheckpoint(checkpoints, 'latest', { into: model }).resume(trainer);
    const last = trainer.step < options.steps ? await trainer.fit() : undefined;
    const after = validationLoss();
    const hyperparameters = {
      ...adapter.config,
      steps: options.steps,
      batchSize,
      sequenceLength,
      learningRate: options.learningRate ?? 1e-3,
      seed: options.seed ?? 0,
      template: template.name,
    };
    const report: FineTuneReport = {
      baseHash: adapter.baseHash,
      datasetHash: chatDatasetHash(options.train),
      hyperparameters,
      trainableParameters: adapter.parameterCount,
      baseParameters: parameterCount(base),
      steps: options.steps,
      trainTokens: train.tokens.length,
      trainedTokens: train.weights.reduce((sum, weight) => sum + weight, 0),
      finalTrainLoss: last?.loss ?? Number.NaN,
      tokensPerSecond: last?.tokensPerSecond ?? Number.NaN,
      ...(before !== undefined && after !== undefined ? { validationLoss: { before, after } } : {}),
      seconds: (performance.now() - started) / 1000,
      created: new Date().toISOString(),
    };
    if (options.runDirectory) {
      mkdirSync(options.runDirectory, { recursive: true });
      writeFileAtomic(join(options.runDirectory, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    }
    trainer.dispose();
    return { adapter, report };
  } catch (error) {
    trainer.dispose();
    adapter.dispose();
    throw error;
  }
}
