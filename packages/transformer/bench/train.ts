/**
 * Training throughput of the reference configs (forward + backward + clip + AdamW per step, synthetic
 * tokens, one thread) on the wasm backend with lm-stack's kernels and with tfjs's own, with PyTorch in the
 * same run when `/usr/bin/python3 -c "import torch"` works: prints `ratio train-<config> <ours/torch>`.
 * Run: pnpm bench:train   (LM_STACK_BENCH_CPU=1 also times the slow cpu backend)
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import {
  arrayTokens,
  type LanguageModel,
  LstmLm,
  MiniGpt,
  parameterCount,
  restoreTfjsKernels,
  selectBackend,
  Trainer,
} from '../src/index.js';
import { hardwareReport } from '../src/node.js';

const CONFIGS = {
  tiny: {
    batch: 16,
    make: () =>
      new MiniGpt({ vocabSize: 512, dModel: 128, nLayers: 4, nHeads: 4, dFf: 512, contextLength: 128 }, 1),
  },
  small: {
    batch: 8,
    make: () =>
      new MiniGpt({ vocabSize: 4096, dModel: 256, nLayers: 6, nHeads: 8, dFf: 1024, contextLength: 256 }, 1),
  },
  lstm: {
    batch: 16,
    make: () =>
      new LstmLm({ vocabSize: 512, embeddingSize: 128, hiddenSize: 256, nLayers: 2, contextLength: 128 }, 1),
  },
} satisfies Record<string, { batch: number; make: () => LanguageModel }>;

function tokensPerSecond(
  make: () => LanguageModel,
  batch: number,
  steps: number,
): { rate: number; parameters: number } {
  const model = make();
  const tokens = Int32Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) % model.vocabSize);
  const trainer = new Trainer({
    model,
    train: arrayTokens(tokens),
    batchSize: batch,
    steps: steps + 1,
    learningRate: 3e-4,
  });
  trainer.trainStep(); // warm-up: kernels compiled, buffers allocated
  const start = performance.now();
  for (let i = 0; i < steps; i++) trainer.trainStep();
  const rate = (steps * batch * model.contextLength) / ((performance.now() - start) / 1000);
  const parameters = parameterCount(model);
  trainer.dispose();
  model.dispose();
  return { rate, parameters };
}

const rows: Array<Record<string, string | number>> = [];
const ours = new Map<string, number>();
// lm-stack's kernels (the default), then tfjs's own wasm kernels for comparison, then optionally tfjs cpu.
const runs: Array<{ label: string; backend: 'wasm' | 'cpu'; fast: boolean }> = [
  { label: 'wasm + lm-stack kernels', backend: 'wasm', fast: true },
  { label: 'wasm, tfjs kernels', backend: 'wasm', fast: false },
  ...(process.env.LM_STACK_BENCH_CPU
    ? [{ label: 'cpu, tfjs kernels', backend: 'cpu' as const, fast: false }]
    : []),
];
for (const { label, backend, fast } of runs) {
  await selectBackend(backend); // registers lm-stack's kernels
  if (!fast) restoreTfjsKernels();
  for (const [name, { batch, make }] of Object.entries(CONFIGS)) {
    if (backend === 'cpu' && name === 'small') continue; // minutes per step
    const { rate, parameters } = tokensPerSecond(make, batch, backend === 'cpu' ? 1 : 5);
    rows.push({ config: name, backend: label, parameters, 'tokens/s': Math.round(rate) });
    if (fast) ours.set(name, rate);
  }
}
await selectBackend();
const report = hardwareReport();
console.log(
  `default backend: ${report.backend}, ${report.cores} cores${report.warning ? ` (${report.warning})` : ''}`,
);

const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
const ratios: string[] = [];
if (torch.status === 0) {
  const run = spawnSync(
    '/usr/bin/python3',
    [new URL('./reference/train_reference.py', import.meta.url).pathname],
    { encoding: 'utf8' },
  );
  for (const line of run.stdout.trim().split('\n').filter(Boolean)) {
    const { config, tokensPerSecond: rate } = JSON.parse(line) as { config: string; tokensPerSecond: number };
    rows.push({ config, backend: 'pytorch', parameters: '', 'tokens/s': Math.round(rate) });
    const mine = ours.get(config);
    if (mine) ratios.push(`ratio train-${config} ${(mine / rate).toFixed(3)}`);
  }
} else
  console.log(
    'PyTorch reference skipped: /usr/bin/python3 cannot import torch (Debian: apt install python3-torch libopenblas0-openmp)',
  );
console.table(rows);
for (const line of ratios) console.log(line);
console.log(`tfjs ${tf.version.tfjs}`);
