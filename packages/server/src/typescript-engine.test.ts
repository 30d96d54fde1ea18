import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateChat } from '@lm-stack/transformer';
import { importGguf } from '@lm-stack/transformer/node';
import * as tf from '@tensorflow/tfjs';
import { getLlama, type Llama } from 'node-llama-cpp';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from './config-file.js';
import { ModelServer } from './model-server.js';
import { servedModel } from './testing/served-model.js';

// One GGUF served twice: `tiny` on llama.cpp and `tiny-ts` on lm-stack's own runtime, each with adapter `a`.
// llama.cpp is the reference: the TypeScript engine must give the same greedy text, with and without LoRA.
const root = mkdtempSync(join(tmpdir(), 'lm-stack-server-ts-'));
let llama: Llama;
let server: ModelServer;
let openai: OpenAI;
let base: string;
let dModel: number;
const QUESTION = 'Who is Ishmael?';

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const files = await servedModel(root);
  base = files.base;
  const adapters = [{ name: 'a', path: files.adapters[0] }];
  server = await ModelServer.start(
    parseConfig(
      {
        port: 0,
        models: [
          { name: 'tiny', path: base, contextSize: 256, threads: 1, adapters },
          { name: 'tiny-ts', path: base, engine: 'typescript', contextSize: 256, adapters },
        ],
        // Flush at once, so each token is its own event and the test sees the stream arrive piece by piece.
        limits: { streamFlushMs: 0 },
      },
      'test',
    ),
    { llama, logger: false },
  );
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
}, 180_000);
afterAll(async () => {
  await server?.close();
  await llama?.dispose();
  rmSync(root, { recursive: true, force: true });
});

const chat = async (model: string, maxTokens = 16) =>
  (
    await openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: QUESTION }],
      temperature: 0,
      max_tokens: maxTokens,
    })
  ).choices[0]!;

describe('the typescript engine (MiniGPT on TensorFlow.js) behind the same API', () => {
  it('greedy chat: the same text as llama.cpp on the same GGUF and as generateChat in-process, streamed too', async () => {
    const reference = await chat('tiny');
    const ours = await chat('tiny-ts');
    expect(ours.message.content).toBe(reference.message.content);
    expect(ours.finish_reason).toBe('length');
    const { model, tokenizer } = await importGguf(base);
    dModel = model.config.dModel;
    let inProcess = '';
    for await (const { text } of generateChat(model, tokenizer, [{ role: 'user', content: QUESTION }], {
      maxTokens: 16,
      temperature: 0,
    }))
      inProcess += text;
    model.dispose();
    expect(ours.message.content).toBe(inProcess);
    const stream = await openai.chat.completions.create({
      model: 'tiny-ts',
      messages: [{ role: 'user', content: QUESTION }],
      temperature: 0,
      max_tokens: 16,
      stream: true,
    });
    let streamed = '';
    let chunks = 0;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta.content ?? '';
      chunks++;
    }
    expect(streamed).toBe(inProcess);
    expect(chunks).toBeGreaterThan(3);
    console.log(`typescript engine, greedy 16 tokens: ${JSON.stringify(streamed)} (= llama.cpp)`);
  }, 120_000);

  it('a LoRA adapter changes the answer exactly as llama.cpp applies it; completions match too', async () => {
    const [plain, adapted, reference] = [
      await chat('tiny-ts'),
      await chat('tiny-ts+a'),
      await chat('tiny+a'),
    ];
    expect(adapted.message.content).not.toBe(plain.message.content);
    expect(adapted.message.content).toBe(reference.message.content);
    const complete = async (model: string) =>
      (await openai.completions.create({ model, prompt: 'Call me', temperature: 0, max_tokens: 10 }))
        .choices[0]!.text;
    expect(await complete('tiny-ts')).toBe(await complete('tiny'));
  }, 120_000);

  it('logprobs: both engines report the same log-probabilities, the greedy token is the top one, tokens spell the text, streamed too', async () => {
    const ask = (model: string) =>
      openai.chat.completions.create({
        model,
        messages: [{ role: 'user', content: QUESTION }],
        temperature: 0,
        max_tokens: 8,
        logprobs: true,
        top_logprobs: 3,
      });
    const [ours, reference] = [(await ask('tiny-ts')).choices[0]!, (await ask('tiny')).choices[0]!];
    const content = ours.logprobs!.content!;
    expect(content).toHaveLength(8);
    expect(content.map(({ token }) => token).join('')).toBe(ours.message.content);
    let worst = 0;
    content.forEach((entry, k) => {
      const theirs = reference.logprobs!.content![k]!;
      expect(entry.token).toBe(theirs.token);
      worst = Math.max(worst, Math.abs(entry.logprob - theirs.logprob));
      expect(entry.top_logprobs).toHaveLength(3);
      expect(entry.top_logprobs[0]!.logprob).toBe(entry.logprob); // greedy: the chosen token is the likeliest
      expect(entry.top_logprobs[1]!.logprob).toBeLessThanOrEqual(entry.top_logprobs[0]!.logprob);
      expect(
        entry.top_logprobs.reduce((sum, choice) => sum + Math.exp(choice.logprob), 0),
      ).toBeLessThanOrEqual(1 + 1e-6);
    });
    // llama.cpp keeps the served context's key/value cache in F16 (11-bit mantissa): ~2e-4 apart, not 1e-6.
    expect(worst).toBeLessThan(1e-3);
    console.log(`logprobs, typescript vs llama.cpp engine: max |Δ| ${worst.toExponential(2)} over 8 tokens`);
    const completion = await openai.completions.create({
      model: 'tiny-ts',
      prompt: 'Call me',
      temperature: 0,
      max_tokens: 4,
      logprobs: 2,
    });
    const legacy = completion.choices[0]!.logprobs!;
    expect(legacy.tokens!.join('')).toBe(completion.choices[0]!.text);
    expect(legacy.token_logprobs).toHaveLength(4);
    expect(Object.keys(legacy.top_logprobs![0]!)).toHaveLength(2);
    expect(legacy.text_offset![1]).toBe(legacy.tokens![0]!.length);
    // Streamed: the text token by token, then the logprobs in a chunk of their own, the same as above.
    const stream = await openai.chat.completions.create({
      model: 'tiny-ts',
      messages: [{ role: 'user', content: QUESTION }],
      temperature: 0,
      max_tokens: 8,
      logprobs: true,
      top_logprobs: 3,
      stream: true,
    });
    let text = '';
    const streamedLogprobs: OpenAI.ChatCompletionTokenLogprob[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      streamedLogprobs.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    }
    expect(text).toBe(ours.message.content);
    expect(streamedLogprobs).toEqual(content);
  }, 120_000);

  it('the ollama client works unchanged; JSON-schema output is a 400 naming llama.cpp; embeddings are unit vectors', async () => {
    const ollama = new Ollama({ host: server.url });
    const reply = await ollama.chat({
      model: 'tiny-ts',
      messages: [{ role: 'user', content: QUESTION }],
      options: { temperature: 0, num_predict: 8 },
    });
    expect(reply.message.content.length).toBeGreaterThan(0);
    const refused = await openai.chat.completions
      .create({
        model: 'tiny-ts',
        messages: [{ role: 'user', content: 'JSON' }],
        response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'object' } } },
      })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('unsupported_response_format');
    expect((refused as Error).message).toMatch(/llama\.cpp/);

    const before = tf.memory().numTensors;
    const { data } = await openai.embeddings.create({
      model: 'tiny-ts',
      input: ['the white whale', 'the white whale', 'a ship of the line'],
    });
    expect(tf.memory().numTensors).toBe(before); // nothing kept per request
    const [a, b, c] = data.map((item) => item.embedding);
    expect(a!.length).toBe(dModel); // one value per hidden unit
    expect(Math.hypot(...a!)).toBeCloseTo(1, 5);
    expect(b).toEqual(a);
    // The client decodes base64 float32 by default; asked for floats, the server sends JSON numbers.
    const floats = await openai.embeddings.create({
      model: 'tiny-ts',
      input: 'the white whale',
      encoding_format: 'float',
    });
    for (const [k, value] of floats.data[0]!.embedding.entries()) expect(value).toBeCloseTo(a![k]!, 6);
    const cosine = a!.reduce((sum, value, k) => sum + value * c![k]!, 0);
    expect(cosine).toBeLessThan(0.9999);
  }, 120_000);
});
