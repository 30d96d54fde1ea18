/**
 * Served tokens/s against llama.cpp in-process on the same GGUF: 1, 4 and 16 concurrent streams, each a
 * greedy 64-token chat, through our server (HTTP + SSE, the openai client in a worker thread, as a client
 * runs in its own process) and through node-llama-cpp directly with the same contexts (one sequence, one
 * thread: what a llama.cpp server does per slot). Three interleaved rounds, the median of each. The same
 * model on the typescript engine is measured beside it.
 * Prints tokens/s, p50/p95 latency and `ratio server-throughput-<c> <ours/llama.cpp>`.
 * Run: pnpm --filter @lm-stack/server bench [model.gguf]   (default: a small model trained here)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { getLlama, LlamaChatSession, resolveChatWrapper } from 'node-llama-cpp';
import { parseConfig } from '../src/config-file.js';
import { ModelServer } from '../src/model-server.js';
import { Mutex } from '../src/mutex.js';
import { servedModel } from '../src/testing/served-model.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-server-bench-'));
const modelPath = process.argv[2] ?? (await servedModel(root)).base;
const TOKENS = 64;
const REQUESTS = 32;
const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))]!;

interface Measurement {
  readonly tokensPerSecond: number;
  readonly p50: number;
  readonly p95: number;
}

async function measure(concurrency: number, ask: (i: number) => Promise<number>): Promise<Measurement> {
  const latencies: number[] = [];
  let tokens = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const begin = performance.now();
        const generated = await ask(i);
        tokens += generated;
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    tokensPerSecond: tokens / seconds,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
  };
}

// llama.cpp in-process: one context, one thread, one generation at a time, as the server runs it.
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: 512, threads: 1 });
const sequence = context.getSequence();
const chatWrapper = resolveChatWrapper(model);
const mutex = new Mutex();
const direct = (i: number) =>
  mutex.lock(async () => {
    await sequence.clearHistory();
    const session = new LlamaChatSession({
      contextSequence: sequence,
      autoDisposeSequence: false,
      chatWrapper,
    });
    session.setChatHistory([]);
    const meter = sequence.tokenMeter.getState().usedOutputTokens;
    await session.prompt(`Question ${i}: who is Ishmael?`, { temperature: 0, maxTokens: TOKENS });
    session.dispose({ disposeSequence: false });
    return sequence.tokenMeter.getState().usedOutputTokens - meter;
  });

const server = await ModelServer.start(
  parseConfig(
    {
      port: 0,
      models: [
        { name: 'bench', path: modelPath, contextSize: 512, threads: 1 },
        { name: 'bench-ts', path: modelPath, engine: 'typescript', contextSize: 512 },
      ],
      limits: { concurrency: 16, queue: 64 },
    },
    'bench',
  ),
  { llama, logger: false },
);
/** Streams through the server from a worker thread. */
const served = (model: string, concurrency: number) =>
  new Promise<Measurement>((resolve, reject) => {
    const worker = new Worker(new URL('./served-client.mjs', import.meta.url), {
      workerData: { url: server.url, model, concurrency, requests: REQUESTS, tokens: TOKENS },
    });
    worker.once(
      'message',
      ({ seconds, generated, latencies }: { seconds: number; generated: number; latencies: number[] }) =>
        resolve({
          tokensPerSecond: generated / seconds,
          p50: percentile(latencies, 0.5),
          p95: percentile(latencies, 0.95),
        }),
    );
    worker.once('error', reject);
  });
const median = (runs: Measurement[]) =>
  [...runs].sort((a, b) => a.tokensPerSecond - b.tokensPerSecond)[Math.floor(runs.length / 2)]!;

await measure(2, direct); // warm-up
await served('bench', 2);
await served('bench-ts', 2);
const rows = [];
const ratios: string[] = [];
for (const concurrency of [1, 4, 16]) {
  const runs: Record<'reference' | 'ours' | 'typescript', Measurement[]> = {
    reference: [],
    ours: [],
    typescript: [],
  };
  for (let round = 0; round < 3; round++) {
    runs.reference.push(await measure(concurrency, direct));
    runs.ours.push(await served('bench', concurrency));
    runs.typescript.push(await served('bench-ts', concurrency));
  }
  const [reference, ours, typescript] = [median(runs.reference), median(runs.ours), median(runs.typescript)];
  rows.push({
    concurrency,
    'llama.cpp tokens/s': reference.tokensPerSecond.toFixed(0),
    'served tokens/s': ours.tokensPerSecond.toFixed(0),
    'llama.cpp p50/p95 ms': `${reference.p50.toFixed(0)} / ${reference.p95.toFixed(0)}`,
    'served p50/p95 ms': `${ours.p50.toFixed(0)} / ${ours.p95.toFixed(0)}`,
    'typescript engine tokens/s': typescript.tokensPerSecond.toFixed(0),
    'typescript p50/p95 ms': `${typescript.p50.toFixed(0)} / ${typescript.p95.toFixed(0)}`,
  });
  ratios.push(
    `ratio server-throughput-${concurrency} ${(ours.tokensPerSecond / reference.tokensPerSecond).toFixed(2)}`,
  );
}
console.log(`${REQUESTS} greedy chats of ${TOKENS} tokens on ${modelPath.split('/').pop()}, one thread`);
console.table(rows);
for (const line of ratios) console.log(line);
await server.close();
await context.dispose();
await model.dispose();
await llama.dispose();
rmSync(root, { recursive: true, force: true });
