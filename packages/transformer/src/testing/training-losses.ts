import type { LanguageModel } from '../language-model.js';
import { arrayTokens } from '../token-data.js';
import { Trainer } from '../trainer.js';

/**
 * Trains `model` on `tokens` for `steps` seeded steps (learning rate 3e-3), disposes it, and returns the loss
 * of every step: the quantity tests compare between backends and kernel paths.
 */
export async function trainingLosses(
  model: LanguageModel,
  tokens: Int32Array,
  { batchSize, steps }: { batchSize: number; steps: number },
): Promise<number[]> {
  const losses: number[] = [];
  const trainer = new Trainer({
    model,
    train: arrayTokens(tokens),
    batchSize,
    steps,
    learningRate: 3e-3,
    seed: 1,
    onProgress: (progress) => losses.push(progress.loss),
  });
  await trainer.fit();
  trainer.dispose();
  model.dispose();
  return losses;
}
