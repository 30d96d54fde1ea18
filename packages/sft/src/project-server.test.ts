import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelServer, parseConfig } from '@lm-stack/server';
import { getLlama, type Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servedModel } from '../../server/src/testing/served-model.js';
import { ChatClient } from './chat-client.js';
import { generateDataset } from './generate-dataset.js';
import { readJsonl } from './jsonl-file.js';
import type { GeneratedRecord, RejectedRecord } from './sample.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-sft-server-'));
let llama: Llama;
let server: ModelServer;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const { base } = await servedModel(root);
  server = await ModelServer.start(
    parseConfig({ port: 0, models: [{ name: 'tiny', path: base, contextSize: 512, threads: 1 }] }, 'test'),
    { llama, logger: false },
  );
}, 180_000);
afterAll(async () => {
  await server?.close();
  await llama?.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe.each(['openai', 'ollama'] as const)(
  "against the project's own server (a small trained model), %s client",
  (provider) => {
    it('structured output through the JSON schema: every item written once or rejected with its reason', async () => {
      const client = new ChatClient({
        provider,
        model: 'tiny',
        baseURL: provider === 'openai' ? `${server.url}/v1` : server.url,
      });
      expect(await client.listModels()).toEqual(['tiny']);
      const output = join(root, `${provider}.jsonl`);
      const rejected = join(root, `${provider}-rejected.jsonl`);
      const items = ['whales', 'ships', 'harpoons', 'the sea'].map((topic) => ({
        topic,
        sources: [topic.length],
      }));
      const progress = await generateDataset({
        client,
        items,
        output,
        rejected,
        concurrency: 2,
        temperature: 0,
        maxTokens: 96,
        maxInstructionLength: 40,
        maxOutputLength: 60,
      });
      const written = readJsonl<GeneratedRecord>(output);
      const refused = readJsonl<RejectedRecord>(rejected);
      expect(written.length + refused.length).toBe(4);
      expect(progress.written).toBe(written.length);
      for (const record of written) expect(record.instruction.length).toBeGreaterThan(0);
      for (const record of refused) expect(record.reason).toMatch(/^(schema|json|request)$/);
      expect(progress.completionTokens).toBeGreaterThan(0);
      console.log(
        `${provider}: ${written.length} written, ${refused.length} rejected (${refused.map((record) => record.detail.slice(0, 60)).join(' | ')}); first: ${JSON.stringify(written[0] ?? refused[0]?.answer)}`,
      );
    }, 120_000);
  },
);
