import * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from './language-model.js';
import { maskedCrossEntropy } from './loss.js';
import { disposeBatch, sampleBatch, type TokenSource } from './token-data.js';

/** Validation results. */
export interface Evaluation {
  /** Mean cross-entropy in nats per token. */
  readonly loss: number;
  readonly perplexity: number;
  /** loss / ln 2 / bytesPerToken, when bytes per token is known. */
  readonly bitsPerByte?: number;
  readonly tokens: number;
}

/**
 * Mean next-token loss over consecutive, non-overlapping windows from the start of `source` (the same
 * windows every time, so evaluations compare), with perplexity and, given the text's UTF-8 bytes per
 * token, bits per byte. With `weights`, the mean is over the weighted tokens only.
 *
 * @example
 * ```ts
 * const { loss, bitsPerByte } = evaluate(model, validation, { batchSize: 8, sequenceLength: 128, bytesPerToken: 4.2 });
 * ```
 */
export function evaluate(
  model: LanguageModel,
  source: TokenSource,
  options: {
    batchSize: number;
    sequenceLength: number;
    maxBatches?: number;
    bytesPerToken?: number;
    /** Per-token loss weights aligned with `source` (chat data: only the assistant's tokens count). */
    weights?: TokenSource;
  },
): Evaluation {
  const windows = Math.floor((source.length - 1) / options.sequenceLength);
  if (windows < 1)
    throw new RangeError(
      `validation source has ${source.length} tokens, fewer than one window of ${options.sequenceLength + 1}`,
    );
  const batches = Math.min(
    options.maxBatches ?? Number.POSITIVE_INFINITY,
    Math.ceil(windows / options.batchSize),
  );
  let nats = 0;
  let tokens = 0;
  for (let b = 0; b < batches; b++) {
    const offsets = Array.from(
      { length: options.batchSize },
      (_, row) => (b * options.batchSize + row) * options.sequenceLength,
    ).filter((offset) => offset + options.sequenceLength + 1 <= source.length);
    if (offsets.length === 0) break;
    const batch = sampleBatch(source, offsets.length, options.sequenceLength, offsets, options.weights);
    // Tokens that count in this batch: all of them, or the sum of their weights.
    const counted = batch.weights
      ? tf.tidy(() => batch.weights!.sum().dataSync()[0]!)
      : offsets.length * options.sequenceLength;
    const loss =
      counted > 0
        ? tf.tidy(
            () => maskedCrossEntropy(model.logits(batch.inputs), batch.targets, batch.weights).dataSync()[0]!,
          )
        : 0;
    disposeBatch(batch);
    nats += loss * counted;
    tokens += counted;
  }
  const loss = nats / tokens;
  return {
    loss,
    perplexity: Math.exp(loss),
    ...(options.bytesPerToken ? { bitsPerByte: loss / Math.LN2 / options.bytesPerToken } : {}),
    tokens,
  };
}
