import type { TokenSource } from '@lm-stack/transformer';

/**
 * Cross-entropy (nats per token) of a unigram model on `validation`: token frequencies of `train` with
 * add-one smoothing. The floor a language model must beat to have learned anything about context.
 *
 * @example
 * ```ts
 * unigramLoss(arrayTokens([1, 1, 2]), arrayTokens([1, 2]), 3); // counts 0:1, 1:3, 2:2 of 6 → −(ln 3/6 + ln 2/6)/2
 * ```
 */
export function unigramLoss(train: TokenSource, validation: TokenSource, vocabSize: number): number {
  const counts = new Float64Array(vocabSize).fill(1);
  const chunk = 1 << 16;
  for (let offset = 0; offset < train.length; offset += chunk) {
    const ids = train.read(offset, Math.min(chunk, train.length - offset));
    for (let i = 0; i < ids.length; i++) counts[ids[i]!]! += 1;
  }
  const total = counts.reduce((sum, count) => sum + count, 0);
  let nats = 0;
  for (let offset = 0; offset < validation.length; offset += chunk) {
    const ids = validation.read(offset, Math.min(chunk, validation.length - offset));
    for (let i = 0; i < ids.length; i++) nats -= Math.log(counts[ids[i]!]! / total);
  }
  return nats / validation.length;
}
