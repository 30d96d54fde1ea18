import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type Llama, LlamaChatSession, LlamaCompletion } from 'node-llama-cpp';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from './auth.js';
import type { ServerConfigInput } from './config.js';
import { parseConfig } from './config-file.js';
import { ConfigError } from './errors.js';
import { ModelServer } from './model-server.js';
import { servedModel } from './testing/served-model.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-server-'));
let llama: Llama;
let files: Awaited<ReturnType<typeof servedModel>>;
let server: ModelServer;
let openai: OpenAI;
const QUESTION = 'Who is Ishmael?';
const config = (extra: Partial<ServerConfigInput> = {}) =>
  parseConfig(
    {
      port: 0,
      models: [
        {
          name: 'tiny',
          path: files.base,
          contextSize: 256,
          threads: 1,
          adapters: [{ name: 'a', path: files.adapters[0] }],
        },
      ],
      ...extra,
    },
    'test',
  );

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  files = await servedModel(root);
  server = await ModelServer.start(config(), { llama, logger: false });
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
}, 180_000);
afterAll(async () => {
  await server?.close();
  await llama?.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** What node-llama-cpp gives in-process for the same file: the reference for the served text. */
async function inProcess(run: 'chat' | 'complete', text: string, maxTokens: number): Promise<string> {
  const model = await llama.loadModel({ modelPath: files.base });
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  try {
    if (run === 'chat') {
      const session = new LlamaChatSession({ contextSequence: context.getSequence() });
      session.setChatHistory([]);
      return await session.prompt(text, { temperature: 0, maxTokens });
    }
    return await new LlamaCompletion({ contextSequence: context.getSequence() }).generateCompletion(text, {
      temperature: 0,
      maxTokens,
    });
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

describe('the OpenAI API, through the openai npm client', () => {
  it('chat: the same greedy text as node-llama-cpp in-process, non-streaming and streaming, with usage', async () => {
    const expected = await inProcess('chat', QUESTION, 12);
    const reply = await openai.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: QUESTION }],
      temperature: 0,
      max_tokens: 12,
    });
    expect(reply.choices[0]!.message.content).toBe(expected);
    expect(reply.choices[0]!.finish_reason).toBe('length');
    expect(reply.usage!.completion_tokens).toBe(12);
    expect(reply.usage!.prompt_tokens).toBeGreaterThan(3);
    const stream = await openai.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: QUESTION }],
      temperature: 0,
      max_tokens: 12,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
      chunks++;
    }
    expect(text).toBe(expected);
    expect(chunks).toBeGreaterThan(3);
    expect(usage?.completion_tokens).toBe(12);
    console.log(`served chat (greedy, 12 tokens): ${JSON.stringify(text)} in ${chunks} chunks`);
  }, 60_000);

  it('a stream sends the tokens of one flush interval (10 ms) as one chunk: fewer events, the same text', async () => {
    const request = {
      model: 'tiny',
      messages: [{ role: 'user' as const, content: QUESTION }],
      temperature: 0,
      max_tokens: 64,
    };
    const whole = (await openai.chat.completions.create(request)).choices[0]!.message.content;
    const stream = await openai.chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let contentChunks = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content;
      if (piece) [text, contentChunks] = [text + piece, contentChunks + 1];
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(whole);
    // The tiny model makes a token in well under a millisecond: 64 tokens share a few 10 ms windows.
    expect(usage?.completion_tokens).toBeGreaterThan(16);
    expect(contentChunks).toBeGreaterThanOrEqual(1);
    expect(contentChunks).toBeLessThan(usage!.completion_tokens / 2);
    console.log(`${usage?.completion_tokens} tokens streamed in ${contentChunks} content chunks`);
  }, 60_000);

  it('completions and models: the same text as LlamaCompletion; the adapter listed as tiny+a', async () => {
    const expected = await inProcess('complete', 'Call me', 10);
    const reply = await openai.completions.create({
      model: 'tiny',
      prompt: 'Call me',
      temperature: 0,
      max_tokens: 10,
    });
    expect(reply.choices[0]!.text).toBe(expected);
    const models = await openai.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['tiny', 'tiny+a']);
  }, 60_000);

  it('JSON schema output: response_format json_schema gives JSON that parses', async () => {
    const reply = await openai.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Answer in JSON.' }],
      temperature: 0,
      max_tokens: 40,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'a',
          schema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] },
        },
      },
    });
    if (reply.choices[0]!.finish_reason === 'stop')
      expect(JSON.parse(reply.choices[0]!.message.content!)).toHaveProperty('answer');
    else expect(reply.choices[0]!.message.content!.startsWith('{')).toBe(true); // cut by max_tokens, but grammar-shaped
  }, 60_000);
});

describe('the Ollama API, through the ollama npm client', () => {
  it('tags, chat and streamed generate', async () => {
    const ollama = new Ollama({ host: server.url });
    const tags = await ollama.list();
    expect(tags.models.map((model) => model.name)).toEqual(['tiny', 'tiny+a']);
    expect(tags.models[0]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const expected = await inProcess('chat', QUESTION, 12);
    const chat = await ollama.chat({
      model: 'tiny',
      messages: [{ role: 'user', content: QUESTION }],
      options: { temperature: 0, num_predict: 12 },
    });
    expect(chat.message.content).toBe(expected);
    expect(chat.eval_count).toBe(12);
    let streamed = '';
    for await (const part of await ollama.generate({
      model: 'tiny',
      prompt: QUESTION,
      stream: true,
      options: { temperature: 0, num_predict: 12 },
    }))
      streamed += part.response;
    expect(streamed).toBe(expected);
    const shown = await ollama.show({ model: 'tiny' });
    expect(shown.details.family).toBe('llama');
  }, 60_000);
});

describe('LoRA adapters without a restart', () => {
  it('tiny+a answers differently from tiny; an adapter loaded through /admin/adapters serves at once, and unloads', async () => {
    const ask = async (model: string) =>
      (
        await openai.chat.completions.create({
          model,
          messages: [{ role: 'user', content: QUESTION }],
          temperature: 0,
          max_tokens: 10,
        })
      ).choices[0]!.message.content;
    const base = await ask('tiny');
    const withA = await ask('tiny+a');
    expect(withA).not.toBe(base);
    const load = await fetch(`${server.url}/admin/adapters`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', name: 'b', path: files.adapters[1] }),
    });
    expect(await load.json()).toEqual({ loaded: 'tiny+b' });
    const withB = await ask('tiny+b');
    expect(withB).not.toBe(withA);
    expect(await (await fetch(`${server.url}/admin/adapters/tiny/b`, { method: 'DELETE' })).json()).toEqual({
      unloaded: 'tiny+b',
    });
    await expect(ask('tiny+b')).rejects.toMatchObject({ status: 404 });
    console.log(
      `greedy answers: base ${JSON.stringify(base)}, +a ${JSON.stringify(withA)}, +b ${JSON.stringify(withB)}`,
    );
  }, 60_000);

  it('a config reload drops an adapter and keeps serving; a bad config is a ConfigError', async () => {
    await server.reload(
      parseConfig(
        { port: 0, models: [{ name: 'tiny', path: files.base, contextSize: 256, threads: 1 }] },
        'reload',
      ),
    );
    await expect(
      openai.chat.completions.create({
        model: 'tiny+a',
        messages: [{ role: 'user', content: 'x' }],
        max_tokens: 2,
      }),
    ).rejects.toMatchObject({ status: 404 });
    await server.reload(config());
    expect((await openai.models.list()).data.map((model) => model.id)).toEqual(['tiny', 'tiny+a']);
    expect(() => parseConfig({ models: [{ name: 'x' }], limits: { concurrency: 0 } }, 'bad.yaml')).toThrow(
      ConfigError,
    );
    expect(() => parseConfig({ models: [{ name: 'x' }] }, 'bad.yaml')).toThrow(/bad\.yaml: models\.0\.path/);
  }, 60_000);
});

describe('hostile input and operations', () => {
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('malformed JSON, 10 MB bodies, bad max_tokens and unknown models get 4xx with OpenAI-style bodies', async () => {
    const malformed = await post('/v1/chat/completions', '{"model": "tiny", "messages": [');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { type: string } }).error.type).toBe(
      'invalid_request_error',
    );
    const huge = await post(
      '/v1/chat/completions',
      JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'x'.repeat(10 * 1024 * 1024) }] }),
    );
    expect(huge.status).toBe(413);
    for (const max_tokens of [-1, 0, 10_000_000]) {
      const response = await post(
        '/v1/chat/completions',
        JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'x' }], max_tokens }),
      );
      expect(response.status).toBe(400);
    }
    const unknown = await post(
      '/v1/chat/completions',
      JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: unknown }).error).toMatchObject({
      code: 'model_not_found',
      param: 'model',
    });
    const ollamaUnknown = await post(
      '/api/chat',
      JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(await ollamaUnknown.json()).toEqual({
      error: expect.stringContaining('model "nope" is not served here'),
    });
  }, 60_000);

  it('a client that disconnects mid-stream stops its generation; the next request is served', async () => {
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: 'tiny', messages: [{ role: 'user', content: QUESTION }], max_tokens: 200, stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    try {
      for await (const _chunk of stream) if (++chunks === 3) controller.abort();
    } catch {
      // the client may end the iteration quietly or throw an abort error: either way it went away
    }
    expect(chunks).toBeGreaterThanOrEqual(3);
    for (let wait = 0; wait < 50 && (await server.metrics.active.get()).values[0]!.value > 0; wait++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await server.metrics.active.get()).values[0]!.value).toBe(0);
    const after = await openai.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 2,
    });
    expect(after.choices[0]!.message.content).toEqual(expect.any(String));
  }, 60_000);

  it('200 concurrent requests with a limit of 4 and a queue of 8: every one answered or 429, none lost, memory flat', async () => {
    await server.reload({
      ...server.currentConfig,
      limits: { ...server.currentConfig.limits, concurrency: 4, queue: 8 },
    });
    const before = process.memoryUsage().rss;
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () =>
        post(
          '/v1/chat/completions',
          JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
        ).then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        }),
      ),
    );
    const counts = new Map<number, number>();
    for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([200, 429]);
    expect((counts.get(200) ?? 0) + (counts.get(429) ?? 0)).toBe(200);
    expect(counts.get(200)).toBeGreaterThanOrEqual(12);
    const growth = (process.memoryUsage().rss - before) / 2 ** 20;
    console.log(
      `200 concurrent, limit 4 + queue 8: ${counts.get(200)} answered, ${counts.get(429)} × 429; RSS +${growth.toFixed(1)} MiB`,
    );
    expect(growth).toBeLessThan(200);
    expect((await server.metrics.queueDepth.get()).values[0]!.value).toBe(0);
    await server.reload(config());
  }, 120_000);

  it('/metrics is Prometheus text with requests, latency, tokens and process metrics; /health and /ready answer', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/lm_stack_requests_total\{route="\/v1\/chat\/completions",status="200"\} \d+/);
    expect(text).toMatch(/lm_stack_tokens_total\{model="tiny",direction="completion"\} \d+/);
    expect(text).toContain('lm_stack_request_duration_seconds_bucket');
    expect(text).toContain('lm_stack_process_resident_memory_bytes');
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${server.url}/ready`)).json()).toEqual({ status: 'ready', models: ['tiny'] });
  });
});

describe('API keys', () => {
  it('401 without or with a wrong key, 403 for a model or admin route the key may not use; the key never comes back', async () => {
    const logs: string[] = [];
    const keyed = await ModelServer.start(
      config({
        keys: [
          { name: 'reader', sha256: hashApiKey('sk-reader-SECRET'), models: ['tiny'] },
          { name: 'other', sha256: hashApiKey('sk-other-SECRET'), models: ['elsewhere'] },
        ],
      }),
      { llama, logStream: { write: (line) => void logs.push(line) } },
    );
    try {
      const client = (key: string) => new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: key, maxRetries: 0 });
      const messages = [{ role: 'user' as const, content: 'x' }];
      expect(
        (await client('sk-reader-SECRET').chat.completions.create({ model: 'tiny', messages, max_tokens: 2 }))
          .choices.length,
      ).toBe(1);
      const wrong = await client('sk-wrong')
        .chat.completions.create({ model: 'tiny', messages, max_tokens: 2 })
        .catch((error: unknown) => error);
      expect(wrong).toMatchObject({ status: 401 });
      const noKey = await fetch(`${keyed.url}/v1/models`);
      expect(noKey.status).toBe(401);
      const forbidden = await client('sk-other-SECRET')
        .chat.completions.create({ model: 'tiny', messages, max_tokens: 2 })
        .catch((error: unknown) => error);
      expect(forbidden).toMatchObject({ status: 403 });
      const admin = await fetch(`${keyed.url}/admin/adapters`, {
        headers: { authorization: 'Bearer sk-reader-SECRET' },
      });
      expect(admin.status).toBe(403);
      expect(
        `${(wrong as Error).message} ${(forbidden as Error).message} ${await admin.text()}`,
      ).not.toContain('SECRET');
    } finally {
      await keyed.close();
    }
    // The structured logs of all of it: a line per request and response, and never a key.
    expect(logs.filter((line) => line.includes('"incoming request"')).length).toBeGreaterThanOrEqual(5);
    expect(logs.join('')).not.toMatch(/SECRET|sk-wrong/);
  }, 60_000);

  it('close() lets a running stream finish before the models unload', async () => {
    const second = await ModelServer.start(config(), { llama, logger: false });
    const client = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: QUESTION }],
      temperature: 0,
      max_tokens: 24,
      stream: true,
    });
    const closed = second.close();
    let finish: string | null = null;
    for await (const chunk of stream) finish = chunk.choices[0]?.finish_reason ?? finish;
    await closed;
    expect(finish).toBe('length');
  }, 60_000);
});
