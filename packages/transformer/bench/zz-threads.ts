import { arrayTokens, LstmLm, MiniGpt, selectBackend, Trainer } from '../src/index.js';
import { useWorkerThreads } from '../src/node.js';

await selectBackend('wasm');
for (const threads of [1, 2, 1, 2]) {
  useWorkerThreads(threads);
  for (const [name, make, batch] of [
    [
      'tiny',
      () =>
        new MiniGpt({ vocabSize: 512, dModel: 128, nLayers: 4, nHeads: 4, dFf: 512, contextLength: 128 }, 1),
      16,
    ],
    [
      'small',
      () =>
        new MiniGpt(
          { vocabSize: 4096, dModel: 256, nLayers: 6, nHeads: 8, dFf: 1024, contextLength: 256 },
          1,
        ),
      8,
    ],
    [
      'lstm',
      () =>
        new LstmLm(
          { vocabSize: 512, embeddingSize: 128, hiddenSize: 256, nLayers: 2, contextLength: 128 },
          1,
        ),
      16,
    ],
  ] as const) {
    const model = make();
    const tokens = Int32Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) % 512);
    const trainer = new Trainer({
      model,
      train: arrayTokens(tokens),
      batchSize: batch,
      steps: 10,
      learningRate: 3e-4,
    });
    trainer.trainStep();
    const t = performance.now();
    const steps = 3;
    for (let i = 0; i < steps; i++) trainer.trainStep();
    console.log(
      `threads ${threads} ${name}: ${Math.round((steps * batch * model.contextLength) / ((performance.now() - t) / 1000))} tok/s`,
    );
    trainer.dispose();
    model.dispose();
  }
}
useWorkerThreads(1);
