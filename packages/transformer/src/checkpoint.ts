import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, readSafetensorsTensor, SafetensorsWriter } from '@lm-stack/safetensors';
import * as tf from '@tensorflow/tfjs';
import { syncFolder, writeFileAtomic } from './atomic-file.js';
import { TransformerError } from './errors.js';
import type { LanguageModel } from './language-model.js';
import { LstmLm } from './lstm-lm.js';
import { MiniGpt } from './mini-gpt.js';
import type { Trainer, TrainingState } from './trainer.js';

/**
 * A checkpoint cannot be written (non-finite weights) or read (missing, malformed, or not matching the model).
 *
 * @example
 * ```ts
 * await saveCheckpoint('runs/a', trainer); // CheckpointError: parameter blk.0.attn_q has non-finite values; no checkpoint written
 * ```
 */
export class CheckpointError extends TransformerError {
  override name = 'CheckpointError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/** `state.json` of a checkpoint. */
interface CheckpointState {
  readonly format: 'lm-stack-checkpoint';
  readonly version: 1;
  readonly kind: LanguageModel['kind'];
  readonly config: Record<string, unknown>;
  readonly training: TrainingState;
  readonly tokenizerHash: string | null;
  readonly metrics: Record<string, number>;
  readonly created: string;
}

/** `checkpoints.json`: the checkpoints kept, newest last; written after every save, as the last file. */
interface CheckpointIndex {
  readonly checkpoints: Array<{
    readonly name: string;
    readonly step: number;
    readonly validationLoss: number | null;
  }>;
  readonly latest: string;
  readonly best: string | null;
}

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** Checkpoints kept besides the best one. Default 3. */
  readonly keepLast?: number;
  /** Hash of the tokenizer the model was trained with, checked by whoever resumes. */
  readonly tokenizerHash?: string;
  /** Validation loss of this checkpoint; the lowest one is kept as `best`. */
  readonly validationLoss?: number;
  readonly metrics?: Record<string, number>;
}

async function writeTensors(path: string, tensors: ReadonlyMap<string, tf.Tensor>): Promise<void> {
  const writer = new SafetensorsWriter(path);
  for (const [name, tensor] of tensors) writer.declareTensor(name, { dtype: 'F32', shape: tensor.shape });
  for (const [name, tensor] of tensors) await writer.writeTensor(name, (await tensor.data()) as Float32Array);
  await writer.finish();
}

function readIndex(directory: string): CheckpointIndex | undefined {
  const path = join(directory, 'checkpoints.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as CheckpointIndex) : undefined;
}

/**
 * Saves the model, the optimizer's moments and the training state (step, generator state, loss scale, …)
 * as `<directory>/step-NNNNNNNN/` (`model.safetensors`, `optimizer.safetensors`, `state.json`). Everything
 * is written in a temporary folder, fsynced and renamed into place, then `checkpoints.json` is rewritten
 * last, so a kill at any moment leaves the previous checkpoints intact and listed. Keeps the last
 * `keepLast` and the best (lowest validation loss); refuses to save non-finite weights.
 *
 * @example
 * ```ts
 * await saveCheckpoint('runs/tiny', trainer, { validationLoss: 2.31, tokenizerHash });
 * ```
 */
export async function saveCheckpoint(
  directory: string,
  trainer: Trainer,
  options: SaveCheckpointOptions = {},
): Promise<string> {
  const model = trainer.options.model;
  for (const [name, variable] of model.parameters) {
    const finite = tf.tidy(() => variable.isFinite().all().dataSync()[0]);
    if (!finite)
      throw new CheckpointError(directory, `parameter ${name} has non-finite values; no checkpoint written`);
  }
  mkdirSync(directory, { recursive: true });
  const training = trainer.state();
  const name = `step-${String(training.step).padStart(8, '0')}`;
  const temporary = join(directory, `.partial-${name}-${process.pid}`);
  rmSync(temporary, { recursive: true, force: true });
  mkdirSync(temporary);
  await writeTensors(join(temporary, 'model.safetensors'), model.parameters);
  await writeTensors(join(temporary, 'optimizer.safetensors'), trainer.optimizer.state());
  const state: CheckpointState = {
    format: 'lm-stack-checkpoint',
    version: 1,
    kind: model.kind,
    config: model.toConfig(),
    training,
    tokenizerHash: options.tokenizerHash ?? null,
    metrics: {
      ...options.metrics,
      ...(options.validationLoss !== undefined ? { validationLoss: options.validationLoss } : {}),
    },
    created: new Date().toISOString(),
  };
  writeFileAtomic(join(temporary, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  syncFolder(temporary);
  const final = join(directory, name);
  rmSync(final, { recursive: true, force: true });
  renameSync(temporary, final);
  syncFolder(directory);

  const previous = readIndex(directory)?.checkpoints.filter((entry) => entry.name !== name) ?? [];
  const all = [...previous, { name, step: training.step, validationLoss: options.validationLoss ?? null }];
  const scored = all.filter((entry) => entry.validationLoss !== null);
  const best = scored.length
    ? scored.reduce((a, b) => (b.validationLoss! < a.validationLoss! ? b : a)).name
    : null;
  const keep = new Set([
    ...all.slice(-(options.keepLast ?? 3)).map((entry) => entry.name),
    ...(best ? [best] : []),
  ]);
  const index: CheckpointIndex = {
    checkpoints: all.filter((entry) => keep.has(entry.name)),
    latest: name,
    best,
  };
  writeFileAtomic(join(directory, 'checkpoints.json'), `${JSON.stringify(index, null, 2)}\n`);
  // Only after the index no longer lists them: checkpoints beyond the kept ones, and leftovers of killed saves.
  for (const entry of readdirSync(directory))
    if (
      (entry.startsWith('step-') && !keep.has(entry)) ||
      entry.startsWith('.partial-') ||
      entry.endsWith('.partial')
    )
      rmSync(join(directory, entry), { recursive: true, force: true });
  return final;
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** Load the weights into this model (same kind and parameter names) instead of building one from the config. */
  readonly into?: LanguageModel;
}

/** A loaded checkpoint: the model with its weights, and what a trainer needs to continue. */
export interface LoadedCheckpoint {
  readonly path: string;
  readonly model: LanguageModel;
  readonly training: TrainingState;
  readonly tokenizerHash: string | null;
  readonly metrics: Record<string, number>;
  /** Restores the optimizer's moments and the training state into a trainer built on `model`. */
  resume(trainer: Trainer): void;
}

function readFloats(path: string): Map<string, { shape: number[]; values: Float32Array }> {
  const file = readSafetensors(path);
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const tensor of file.tensors) {
    if (tensor.dtype !== 'F32')
      throw new CheckpointError(path, `tensor ${tensor.name} is ${tensor.dtype}, not F32`);
    const bytes = readSafetensorsTensor(path, file, tensor);
    out.set(tensor.name, {
      shape: tensor.shape,
      values: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)),
    });
  }
  return out;
}

/**
 * Loads a checkpoint: a checkpoint folder, or a run folder (its latest checkpoint, or `'best'`). The model
 * is rebuilt from the saved config (or, with `options.into`, the weights go into a model you built, such as
 * a LoRA wrapper whose parameters are its adapters) and every weight is checked against its shape.
 *
 * @example
 * ```ts
 * const checkpoint = loadCheckpoint('runs/tiny');
 * const trainer = new Trainer({ model: checkpoint.model, train, batchSize: 16, steps: 2000 });
 * checkpoint.resume(trainer);
 * await trainer.fit();
 * ```
 */
export function loadCheckpoint(
  path: string,
  which: 'latest' | 'best' = 'latest',
  options: LoadCheckpointOptions = {},
): LoadedCheckpoint {
  const index = readIndex(path);
  const folder = index ? join(path, which === 'best' && index.best ? index.best : index.latest) : path;
  const statePath = join(folder, 'state.json');
  if (!existsSync(statePath)) throw new CheckpointError(folder, 'no state.json: not a checkpoint');
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as CheckpointState;
  if (state.format !== 'lm-stack-checkpoint' || state.version !== 1)
    throw new CheckpointError(
      folder,
      `unknown checkpoint format ${JSON.stringify(state.format)} version ${state.version}`,
    );
  if (options.into && options.into.kind !== state.kind)
    throw new CheckpointError(folder, `holds a ${state.kind} model, not a ${options.into.kind}`);
  const model: LanguageModel =
    options.into ??
    (state.kind === 'minigpt'
      ? new MiniGpt(state.config as never)
      : state.kind === 'lstm'
        ? new LstmLm(state.config as never)
        : (undefined as never));
  if (!model) throw new CheckpointError(folder, `unknown model kind ${JSON.stringify(state.kind)}`);
  try {
    const weights = readFloats(join(folder, 'model.safetensors'));
    for (const [name, variable] of model.parameters) {
      const saved = weights.get(name);
      if (!saved) throw new CheckpointError(folder, `weight ${name} is missing`);
      if (saved.shape.join(',') !== variable.shape.join(','))
        throw new CheckpointError(
          folder,
          `weight ${name} has shape [${saved.shape}], the model needs [${variable.shape}]`,
        );
      variable.assign(tf.tensor(saved.values, variable.shape));
    }
  } catch (error) {
    if (!options.into) model.dispose();
    throw error;
  }
  return {
    path: folder,
    model,
    training: state.training,
    tokenizerHash: state.tokenizerHash,
    metrics: state.metrics,
    resume(trainer: Trainer): void {
      const moments = new Map(
        [...readFloats(join(folder, 'optimizer.safetensors'))].map(([name, { values }]) => [name, values]),
      );
      trainer.optimizer.restore(moments, state.training.optimizerStep);
      trainer.restore(state.training);
    },
  };
}
