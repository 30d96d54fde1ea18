import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChatClient } from './chat-client.js';
import { GenerationRequestError } from './errors.js';
import { generateDataset } from './generate-dataset.js';
import { readJsonl } from './jsonl-file.js';
import type { GeneratedRecord, RejectedRecord } from './sample.js';
import { FaultServer } from './testing/fault-server.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-sft-'));
let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start();
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  server.inFlight = 0;
  server.maxInFlight = 0;
  server.requests = 0;
  server.authorizations.length = 0;
  server.delayMs = 5;
});
let run = 0;
const files = () => {
  run++;
  return { output: join(root, `out-${run}.jsonl`), rejected: join(root, `rejected-${run}.jsonl`) };
};
const topics = (n: number) => Array.from({ length: n }, (_, i) => ({ topic: `topic ${i}` }));
const topicOf = (prompt: string) => /about (topic \d+)/.exec(prompt)?.[1] ?? '?';
const answer = (prompt: string) => ({
  kind: 'answer' as const,
  text: `{"instruction":"What is ${topicOf(prompt)}?","output":"It is ${topicOf(prompt)}."}`,
});

describe.each(['openai', 'ollama'] as const)(
  'generateDataset through the %s client against a real server on 127.0.0.1',
  (provider) => {
    const client = (attempts = 3) =>
      new ChatClient({
        provider,
        model: 'helper',
        baseURL: provider === 'openai' ? `${server.url}/v1` : server.url,
        apiKey: 'sk-test-SECRET',
        attempts,
        baseDelayMs: 5,
        timeoutMs: 2000,
      });

    it('writes one sample per item, concurrency never above the cap, the key sent but never written', async () => {
      server.delayMs = 20;
      server.behave = (_, prompt) => answer(prompt);
      const paths = files();
      const progress = await generateDataset({
        client: client(),
        items: topics(30),
        ...paths,
        concurrency: 4,
      });
      expect(progress).toMatchObject({
        total: 30,
        written: 30,
        rejected: 0,
        skipped: 0,
        promptTokens: 90,
        completionTokens: 150,
      });
      // 30 × 0.00025 = 0.0075 credits when the API reports cost (the OpenAI-compatible side); Ollama has none.
      expect(progress.cost).toBeCloseTo(provider === 'openai' ? 0.0075 : 0, 10);
      expect(server.maxInFlight).toBeLessThanOrEqual(4);
      expect(server.maxInFlight).toBeGreaterThan(1);
      const written = readJsonl<GeneratedRecord>(paths.output);
      expect(new Set(written.map((record) => record.topic)).size).toBe(30);
      expect(written[0]).toMatchObject({
        instruction: expect.stringMatching(/^What is topic \d+\?$/),
        model: 'helper',
        provider,
        usage: { promptTokens: 3, completionTokens: 5, ...(provider === 'openai' ? { cost: 0.00025 } : {}) },
        key: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(server.authorizations.every((header) => header === 'Bearer sk-test-SECRET')).toBe(true);
      expect(readFileSync(paths.output, 'utf8')).not.toContain('SECRET');
    });

    it('retries 429 (Retry-After), 500, a stall and a cut connection; a schema-invalid answer gets one repair; each item ends written or rejected once', async () => {
      const tries = new Map<string, number>(); // requests seen per topic
      server.behave = (_, prompt) => {
        const topic = topicOf(prompt);
        const n = tries.get(topic) ?? 0;
        tries.set(topic, n + 1);
        if (topic === 'topic 0' && n < 2) return { kind: 'status', status: 429, retryAfter: '0' };
        if (topic === 'topic 1' && n < 2) return { kind: 'status', status: 500 };
        if (topic === 'topic 2' && !prompt.includes('invalid'))
          return { kind: 'answer', text: '{"instruction":"","output":"x"}' };
        if (topic === 'topic 3') return { kind: 'answer', text: 'no json here' };
        if (topic === 'topic 4' && n < 1) return { kind: 'stall' }; // the 2 s timeout, then a retry
        if (topic === 'topic 5') return { kind: 'status', status: 401 };
        if (topic === 'topic 6' && n < 1) return { kind: 'truncated' };
        if (topic === 'topic 7') return { kind: 'garbage' };
        return answer(prompt);
      };
      const paths = files();
      const progress = await generateDataset({
        client: client(),
        items: topics(8),
        ...paths,
        concurrency: 1,
      });
      const written = readJsonl<GeneratedRecord>(paths.output);
      const rejected = readJsonl<RejectedRecord>(paths.rejected);
      expect(written.map((record) => record.topic).sort()).toEqual([
        'topic 0',
        'topic 1',
        'topic 2',
        'topic 4',
        'topic 6',
      ]);
      expect(rejected.map((record) => [record.topic, record.reason])).toEqual([
        ['topic 3', 'json'],
        ['topic 5', 'request'],
        ['topic 7', 'request'],
      ]);
      expect(rejected[1]!.detail).toMatch(/HTTP 401 after 1 attempt/);
      expect(progress).toMatchObject({ written: 5, rejected: 3 });
      // 429 ×2 then ok; 500 ×2 then ok; invalid + repair; no JSON + repair; stall + ok; 401 once; cut + ok; garbage ×3.
      expect(Object.fromEntries(tries)).toEqual({
        'topic 0': 3,
        'topic 1': 3,
        'topic 2': 2,
        'topic 3': 2,
        'topic 4': 2,
        'topic 5': 1,
        'topic 6': 2,
        'topic 7': 3,
      });
      expect(readFileSync(paths.rejected, 'utf8')).not.toContain('SECRET');
    }, 30_000);

    it('a rerun skips every finished item; a stop keeps what was written', async () => {
      server.behave = (_, prompt) => answer(prompt);
      const paths = files();
      const controller = new AbortController();
      const first = generateDataset({
        client: client(),
        items: topics(20),
        ...paths,
        concurrency: 2,
        signal: controller.signal,
        onProgress: (progress) => progress.written >= 6 && controller.abort(new Error('stop')),
      });
      await expect(first).rejects.toThrow('stop');
      const kept = readJsonl<GeneratedRecord>(paths.output).length;
      expect(kept).toBeGreaterThanOrEqual(6);
      const second = await generateDataset({ client: client(), items: topics(20), ...paths, concurrency: 2 });
      expect(second.skipped).toBe(kept);
      const all = readJsonl<GeneratedRecord>(paths.output);
      expect(all.length).toBe(20);
      expect(new Set(all.map((record) => record.key)).size).toBe(20);
    });
  },
);

describe('ChatClient', () => {
  it('lists models, tests the API, and names the provider but not the key in errors', async () => {
    const client = new ChatClient({
      provider: 'openai',
      model: 'm',
      baseURL: 'http://127.0.0.1:9/v1',
      apiKey: 'sk-SECRET',
      attempts: 2,
      baseDelayMs: 5,
    });
    const error = await client.test().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GenerationRequestError);
    expect((error as Error).message).toMatch(
      /^openai-compatible http:\/\/127\.0\.0\.1:9\/v1: request failed after 2 attempts/,
    );
    expect((error as Error).message).not.toContain('SECRET');
  });
});

describe('kill -9 during generation', () => {
  it('the rerun writes no duplicate and finishes the rest', async () => {
    server.delayMs = 30;
    server.behave = (_, prompt) => answer(prompt);
    const paths = files();
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const child = spawn(
      process.execPath,
      [
        '--import',
        tsx,
        join(import.meta.dirname, 'testing', 'generate-child.ts'),
        server.url,
        paths.output,
        paths.rejected,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let lines = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (data: Buffer) => {
        lines += data.toString().split('\n').filter(Boolean).length;
        if (lines >= 10) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.on('exit', resolve),
    );
    expect(child.signalCode).toBe('SIGKILL');
    const before = readJsonl<GeneratedRecord>(paths.output).length;
    expect(before).toBeGreaterThanOrEqual(10);
    expect(before).toBeLessThan(60);
    const client = new ChatClient({
      provider: 'openai',
      model: 'helper',
      baseURL: `${server.url}/v1`,
      baseDelayMs: 5,
    });
    const rerun = await generateDataset({ client, items: topics(60), ...paths, concurrency: 3 });
    expect(rerun.skipped).toBe(before);
    const all = readJsonl<GeneratedRecord>(paths.output);
    expect(all.length).toBe(60);
    expect(new Set(all.map((record) => record.key)).size).toBe(60);
  }, 60_000);
});
