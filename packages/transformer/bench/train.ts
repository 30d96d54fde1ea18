/**
 * Training throughput of the reference configs (forward + backward + clip + AdamW per step, synthetic
 * tokens, one thread) on the wasm backend with lm-stack's kernels (native GEMM where built, and the
 * WebAssembly GEMM browsers run) and with tfjs's own, with PyTorch in the same run when `/usr/bin/python3 -c "import torch"` works: prints `ratio train-<config> <ours/torch>`.
 * Run: pnpm bench:train   (LM_STACK_BENCH_CPU=1 also times the slow cpu backend)
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import {
  arrayTokens,
  type LanguageModel,
  LstmLm,
  MiniGpt,
  nativeGemmStatus,
  parameterCount,
  restoreTfjsKernels,
  selectBackend,
  Trainer,
  useNativeGemm,
} from '../src/index.js';
import { hardwareReport, useWorkerThreads } from '../src/node.js';

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
const oursTwoThreads = new Map<string, number>();
const oursWebAssembly = new Map<string, number>();
await selectBackend('wasm'); // loads the native GEMM where it was built
const native = nativeGemmStatus();
if (!native.active) console.log(`native GEMM unavailable (${native.reason}): "ours" is the WebAssembly GEMM`);
// lm-stack's kernels (the default: native GEMM where built) on one thread and on two (useWorkerThreads),
// with the WebAssembly GEMM (what browsers run), then tfjs's own wasm kernels, then optionally tfjs's cpu.
type Run = { label: string; backend: 'wasm' | 'cpu'; fast: boolean; native: boolean; threads: number };
const runs: Run[] = [
  { label: 'wasm + lm-stack kernels', backend: 'wasm', fast: true, native: true, threads: 1 },
  { label: 'wasm + lm-stack kernels, 2 threads', backend: 'wasm', fast: true, native: true, threads: 2 },
  {
    label: 'wasm + lm-stack kernels, WebAssembly GEMM',
    backend: 'wasm',
    fast: true,
    native: false,
    threads: 1,
  },
  { label: 'wasm, tfjs kernels', backend: 'wasm', fast: false, native: false, threads: 1 },
  ...(process.env.LM_STACK_BENCH_CPU
    ? [{ label: 'cpu, tfjs kernels', backend: 'cpu' as const, fast: false, native: false, threads: 1 }]
    : []),
];
for (const run of runs) {
  await selectBackend(run.backend); // registers lm-stack's kernels
  if (!run.fast) restoreTfjsKernels();
  useNativeGemm(run.native);
  useWorkerThreads(run.threads);
  for (const [name, { batch, make }] of Object.entries(CONFIGS)) {
    if (run.backend === 'cpu' && name === 'small') continue; // minutes per step
    const { rate, parameters } = tokensPerSecond(make, batch, run.backend === 'cpu' ? 1 : 5);
    rows.push({ config: name, backend: run.label, parameters, 'tokens/s': Math.round(rate) });
    if (!run.fast) continue;
    if (!run.native) oursWebAssembly.set(name, rate);
    else (run.threads === 1 ? ours : oursTwoThreads).set(name, rate);
  }
}
useWorkerThreads(1);
useNativeGemm(true);
await selectBackend();
const report = hardwareReport();
console.log(
  `default backend: ${report.backend}, ${report.cores} cores${report.warning ? ` (${report.warning})` : ''}`,
);

const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
const ratios: string[] = [];
if (torch.status === 0) {
  const torchRates = (threads: number) =>
    spawnSync('/usr/bin/python3', [new URL('./reference/train_reference.py', import.meta.url).pathname], {
      encoding: 'utf8',
      env: { ...process.env, LM_STACK_TORCH_THREADS: String(threads) },
    })
      .stdout.trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { config: string; tokensPerSecond: number });
  const twoThreadTorch = new Map(
    torchRates(2).map(({ config, tokensPerSecond }) => [config, tokensPerSecond]),
  );
  for (const { config, tokensPerSecond: rate } of torchRates(1)) {
    const rateTwo = twoThreadTorch.get(config) ?? Number.NaN;
    rows.push({ config, backend: 'pytorch', parameters: '', 'tokens/s': Math.round(rate) });
    rows.push({ config, backend: 'pytorch, 2 threads', parameters: '', 'tokens/s': Math.round(rateTwo) });
    const mine = ours.get(config);
    if (mine) ratios.push(`ratio train-${config} ${(mine / rate).toFixed(3)}`);
    const mineWebAssembly = oursWebAssembly.get(config);
    if (mineWebAssembly)
      ratios.push(
        `ratio train-${config}-webassembly ${(mineWebAssembly / rate).toFixed(3)} (browsers: no native GEMM)`,
      );
    const mineTwo = oursTwoThreads.get(config);
    if (mineTwo)
      ratios.push(
        `ratio train-${config}-2-threads ${(mineTwo / rate).toFixed(3)} (vs PyTorch on 2 threads: ${(mineTwo / rateTwo).toFixed(3)})`,
      );
  }
} else
  console.log(
    'PyTorch reference skipped: /usr/bin/python3 cannot import torch (Debian: apt install python3-torch libopenblas0-openmp)',
  );
console.table(rows);
for (const line of ratios) console.log(line);
console.log(`tfjs ${tf.version.tfjs}`);
