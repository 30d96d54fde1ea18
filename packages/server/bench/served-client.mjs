/**
 * The load generator of bench/throughput.ts, in a worker thread: the `openai` client's SSE parsing runs
 * here, not on the server's event loop (as a real client runs in its own process).
 */
import { parentPort, workerData } from 'node:worker_threads';
import OpenAI from 'openai';

// Plain JavaScript: worker threads on Node 20 do not inherit tsx's loader.
/** @type {{ url: string, model: string, concurrency: number, requests: number, tokens: number }} */
const { url, model, concurrency, requests, tokens } = workerData;
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
/** @type {number[]} */
const latencies = [];
let generated = 0;
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < requests) {
      const i = next++;
      const begin = performance.now();
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: `Question ${i}: who is Ishmael?` }],
        temperature: 0,
        max_tokens: tokens,
        stream: true,
        stream_options: { include_usage: true },
      });
      let count = 0;
      for await (const chunk of stream) count = chunk.usage?.completion_tokens ?? count;
      generated += count;
      latencies.push(performance.now() - begin);
    }
  }),
);
parentPort?.postMessage({ seconds: (performance.now() - started) / 1000, generated, latencies });
