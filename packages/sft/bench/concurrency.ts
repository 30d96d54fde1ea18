// Generation throughput: lm-sft's generateDataset at concurrency 1, 5 and 10 against a plain sequential
// loop with the same ChatClient (one request, parse, validate, append per item), in one process.
//   1. a local server that answers after a fixed latency (what a remote API such as OpenRouter costs);
//   2. the project's own model server (llama.cpp, one thread) serving a small trained model.
// Prints samples/s and `ratio sft-concurrency <ours at 5 / sequential loop>` for each.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelServer, parseConfig } from '@lm-stack/server';
import { getLlama } from 'node-llama-cpp';
import { z } from 'zod';
import { servedModel } from '../../server/src/testing/served-model.js';
import { ChatClient } from '../src/chat-client.js';
import { generateDataset } from '../src/generate-dataset.js';
import { DEFAULT_SYSTEM_PROMPT, DEFAULT_USER_TEMPLATE, renderTemplate } from '../src/prompts.js';
import { sftSampleSchema } from '../src/sample.js';
import { FaultServer } from '../src/testing/fault-server.js';

/** Longest instruction and answer in characters, in the schema both sides send. */
interface Limits {
  readonly instruction: number;
  readonly output: number;
}
const root = mkdtempSync(join(tmpdir(), 'lm-sft-bench-'));
let run = 0;

/** The loop a user writes without lm-sft: one item after another, no retries, no resume. */
async function sequentialLoop(
  client: ChatClient,
  topics: readonly string[],
  maxTokens: number,
  limits: Limits,
): Promise<{ rate: number; written: number }> {
  const output = join(root, `loop-${run++}.jsonl`);
  // The JSON schema lm-sft sends, with the same length caps.
  const jsonSchema = z.toJSONSchema(
    sftSampleSchema.extend({
      instruction: sftSampleSchema.shape.instruction.max(limits.instruction),
      output: sftSampleSchema.shape.output.max(limits.output),
    }),
  ) as Record<string, unknown>;
  const started = performance.now();
  let written = 0;
  for (const [i, topic] of topics.entries()) {
    const answer = await client.chat({
      messages: [
        { role: 'system', content: DEFAULT_SYSTEM_PROMPT },
        { role: 'user', content: renderTemplate(DEFAULT_USER_TEMPLATE, { topic, context: '', n: i + 1 }) },
      ],
      jsonSchema,
      temperature: 0,
      maxTokens,
    });
    try {
      const parsed = sftSampleSchema.safeParse(JSON.parse(answer.text));
      if (parsed.success) {
        appendFileSync(output, `${JSON.stringify(parsed.data)}\n`);
        written++;
      }
    } catch {
      // an answer cut at maxTokens is not JSON: the loop drops it, as lm-sft rejects it
    }
  }
  return { rate: topics.length / ((performance.now() - started) / 1000), written };
}

async function ours(
  client: ChatClient,
  topics: readonly string[],
  maxTokens: number,
  limits: Limits,
  concurrency: number,
): Promise<{ rate: number; written: number }> {
  const name = `ours-${run++}`;
  const started = performance.now();
  const progress = await generateDataset({
    client,
    items: topics.map((topic) => ({ topic })),
    output: join(root, `${name}.jsonl`),
    rejected: join(root, `${name}-rejected.jsonl`),
    concurrency,
    temperature: 0,
    maxTokens,
    maxInstructionLength: limits.instruction,
    maxOutputLength: limits.output,
  });
  if (progress.done !== topics.length) throw new Error(`${progress.done} of ${topics.length} done`);
  return { rate: topics.length / ((performance.now() - started) / 1000), written: progress.written };
}

async function compare(
  label: string,
  client: ChatClient,
  topics: readonly string[],
  maxTokens: number,
  limits: Limits,
): Promise<void> {
  await sequentialLoop(client, topics.slice(0, 2), maxTokens, limits); // warm-up: connections, model load
  const loop = await sequentialLoop(client, topics, maxTokens, limits);
  const runs = new Map<number, { rate: number; written: number }>();
  for (const concurrency of [1, 5, 10])
    runs.set(concurrency, await ours(client, topics, maxTokens, limits, concurrency));
  console.log(`\n${label}: ${topics.length} items`);
  const row = (name: string, { rate, written }: { rate: number; written: number }) =>
    console.log(
      `  ${name.padEnd(24)} ${rate.toFixed(2).padStart(7)} items/s, ${written} valid  (${(rate / loop.rate).toFixed(2)}×)`,
    );
  row('sequential loop', loop);
  for (const [concurrency, result] of runs) row(`lm-sft concurrency ${concurrency}`, result);
  console.log(
    `ratio sft-concurrency ${label.split(' ')[0]} ${((runs.get(5)?.rate ?? 0) / loop.rate).toFixed(2)}`,
  );
}

const topics = Array.from({ length: 60 }, (_, i) => `topic number ${i}`);
const latency = await FaultServer.start();
latency.delayMs = 50; // ms per request, about a fast remote API's round trip
await compare(
  'latency-server (50 ms per request)',
  new ChatClient({ provider: 'openai', model: 'm', baseURL: `${latency.url}/v1` }),
  topics,
  64,
  { instruction: 2000, output: 8000 },
);
await latency.close();

const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
const { base } = await servedModel(root);
const server = await ModelServer.start(
  parseConfig({ port: 0, models: [{ name: 'tiny', path: base, contextSize: 512, threads: 1 }] }, 'bench'),
  { llama, logger: false },
);
await compare(
  'model-server (tiny MiniGPT, llama.cpp, 1 thread)',
  new ChatClient({ provider: 'openai', model: 'tiny', baseURL: `${server.url}/v1` }),
  topics.slice(0, 20),
  96,
  { instruction: 40, output: 60 },
);
await server.close();
await llama.dispose();
rmSync(root, { recursive: true, force: true });
