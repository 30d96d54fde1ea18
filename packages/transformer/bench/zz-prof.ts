import * as tf from '@tensorflow/tfjs';
import {
  arrayTokens,
  LstmLm,
  MiniGpt,
  registerFastKernels,
  restoreTfjsKernels,
  selectBackend,
  Trainer,
} from '/work/main/packages/transformer/src/index.js';

await selectBackend('wasm');
const mode = process.argv[2];
if (mode === 'tfjs') restoreTfjsKernels();
const model =
  process.argv[3] === 'small'
    ? new MiniGpt({ vocabSize: 4096, dModel: 256, nLayers: 6, nHeads: 8, dFf: 1024, contextLength: 256 }, 1)
    : process.argv[3] === 'lstm'
      ? new LstmLm({ vocabSize: 512, embeddingSize: 128, hiddenSize: 256, nLayers: 2, contextLength: 128 }, 1)
      : new MiniGpt({ vocabSize: 512, dModel: 128, nLayers: 4, nHeads: 4, dFf: 512, contextLength: 128 }, 1);
const tokens = Int32Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) % 512);
const trainer = new Trainer({
  model,
  train: arrayTokens(tokens),
  batchSize: process.argv[3] === 'small' ? 8 : 16,
  steps: 10,
  learningRate: 3e-4,
});
trainer.trainStep();
const t = performance.now();
(globalThis as any).GEMM_MS = 0;
(globalThis as any).GEMM_FLOP = 0;
for (let i = 0; i < 3; i++) trainer.trainStep();
console.log(
  mode,
  'ms/step',
  ((performance.now() - t) / 3).toFixed(0),
  'gemm ms/step',
  ((globalThis as any).GEMM_MS / 3).toFixed(0),
  'GFLOP/step',
  ((globalThis as any).GEMM_FLOP / 3e9).toFixed(2),
);
const prof = await tf.profile(() => {
  trainer.trainStep();
});
const byKernel = new Map<string, number>();
const counts = new Map<string, number>();
for (const k of prof.kernels) {
  byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
}
console.log(
  [...byKernel]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 24)
    .map(([n, v]) => `${n} ${v.toFixed(0)} x${counts.get(n)}`)
    .join('\n'),
);
const ids = prof.kernels
  .filter((k) => k.name === 'Identity')
  .map((k) => JSON.stringify((k as any).inputShapes));
const c2 = new Map<string, number>();
for (const i of ids) c2.set(i, (c2.get(i) ?? 0) + 1);
console.log([...c2].slice(0, 12));
console.log('kernels', prof.kernels.length);
