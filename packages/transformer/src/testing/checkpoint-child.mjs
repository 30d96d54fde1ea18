// Child process of the kill-during-checkpoint test: trains a small MiniGPT and saves a checkpoint after
// every step, forever, resuming from the latest checkpoint when there is one. Uses the built package.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { arrayTokens, MiniGpt, selectBackend, Trainer } from '../../dist/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../dist/node.js';

const [directory] = process.argv.slice(2);
await selectBackend('cpu');
const tokens = Int32Array.from({ length: 5000 }, (_, i) => (i * 31 + (i >> 3)) % 256);
const checkpoint = existsSync(join(directory, 'checkpoints.json')) ? loadCheckpoint(directory) : undefined;
const model =
  checkpoint?.model ??
  new MiniGpt({ vocabSize: 256, contextLength: 16, dModel: 64, nLayers: 2, nHeads: 4, dFf: 128 }, 1);
const trainer = new Trainer({
  model,
  train: arrayTokens(tokens),
  batchSize: 2,
  steps: 1_000_000,
  learningRate: 1e-3,
});
checkpoint?.resume(trainer);
for (;;) {
  trainer.trainStep();
  await saveCheckpoint(directory, trainer, { keepLast: 2 });
}
