import * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from './random.js';

/**
 * A stream of token ids read by range: an array in memory, or token shards on disk (`shardTokens` in
 * `@lm-stack/transformer/node`), read a window at a time rather than loaded whole.
 */
export interface TokenSource {
  /** Number of tokens. */
  readonly length: number;
  /** Tokens [offset, offset + count). */
  read(offset: number, count: number): ArrayLike<number>;
}

/**
 * A token source over an array in memory.
 *
 * @example
 * ```ts
 * const source = arrayTokens(tokenizer.encode(text));
 * ```
 */
export function arrayTokens(tokens: ArrayLike<number>): TokenSource {
  const array = Int32Array.from(tokens);
  return { length: array.length, read: (offset, count) => array.subarray(offset, offset + count) };
}

/** One training batch: inputs, the next tokens as targets, and per-token loss weights. */
export interface Batch {
  readonly inputs: tf.Tensor2D;
  readonly targets: tf.Tensor2D;
  readonly weights?: tf.Tensor2D;
}

/**
 * A batch of `batchSize` windows of `sequenceLength + 1` tokens at offsets drawn from `random` (or given),
 * as inputs (first `sequenceLength`) and targets (shifted by one). With `weights`, a source of per-token
 * loss weights aligned with the tokens (1 = learn this token, 0 = ignore it; the weight of a target token
 * applies).
 *
 * @example
 * ```ts
 * const batch = sampleBatch(source, 16, 128, random); // inputs, targets: [16, 128]
 * ```
 */
export function sampleBatch(
  source: TokenSource,
  batchSize: number,
  sequenceLength: number,
  random: SeededRandom | readonly number[],
  weights?: TokenSource,
): Batch {
  const span = sequenceLength + 1;
  if (source.length < span)
    throw new RangeError(`token source has ${source.length} tokens, fewer than one window of ${span}`);
  const offsets = Array.isArray(random)
    ? random
    : Array.from({ length: batchSize }, () => (random as SeededRandom).integer(source.length - span + 1));
  const inputs = new Int32Array(batchSize * sequenceLength);
  const targets = new Int32Array(batchSize * sequenceLength);
  const weightValues = weights ? new Float32Array(batchSize * sequenceLength) : undefined;
  offsets.forEach((offset, row) => {
    const window = source.read(offset, span);
    for (let i = 0; i < sequenceLength; i++) {
      inputs[row * sequenceLength + i] = window[i]!;
      targets[row * sequenceLength + i] = window[i + 1]!;
    }
    if (weights && weightValues) {
      const w = weights.read(offset + 1, sequenceLength);
      for (let i = 0; i < sequenceLength; i++) weightValues[row * sequenceLength + i] = w[i]!;
    }
  });
  const shape: [number, number] = [offsets.length, sequenceLength];
  return {
    inputs: tf.tensor2d(inputs, shape, 'int32'),
    targets: tf.tensor2d(targets, shape, 'int32'),
    ...(weightValues ? { weights: tf.tensor2d(weightValues, shape) } : {}),
  };
}

/** Frees a batch's tensors. */
export function disposeBatch(batch: Batch): void {
  batch.inputs.dispose();
  batch.targets.dispose();
  batch.weights?.dispose();
}
