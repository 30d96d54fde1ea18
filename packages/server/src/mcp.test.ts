import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashingEmbedder, RagStore } from '@lm-stack/rag';
import { importGguf } from '@lm-stack/transformer/node';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { getLlama, type Llama } from 'node-llama-cpp';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from './auth.js';
import { parseConfig } from './config-file.js';
import { ModelServer } from './model-server.js';
import { servedModel } from './testing/served-model.js';

// The MCP client from the SDK against the model server's /mcp (streamable HTTP) and lm-stack-mcp (stdio).
const root = mkdtempSync(join(tmpdir(), 'lm-stack-mcp-'));
const QUESTION = 'Who is Ishmael?';
let llama: Llama;
let base: string;
let adapter: string;
let database: string;
let server: ModelServer;

type ToolResult = {
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  ({
    base,
    adapters: [adapter],
  } = await servedModel(root));
  // A RAG database of three small documents, chunked in the served model's own tokenizer.
  const documents = join(root, 'docs');
  mkdirSync(documents);
  writeFileSync(join(documents, 'whales.txt'), 'The sperm whale dives deep for squid in the dark ocean.');
  writeFileSync(join(documents, 'ships.txt'), 'The Pequod sailed from Nantucket with a crew of harpooneers.');
  writeFileSync(join(documents, 'bread.txt'), 'Sourdough bread rises slowly with wild yeast and flour.');
  database = join(root, 'rag.db');
  const { tokenizer, model } = await importGguf(base);
  model.dispose();
  const store = RagStore.open(database, { embedder: new HashingEmbedder(256) });
  await store.ingest([documents], { tokenizer, tokenizerName: 'tiny', chunkSize: 64, overlap: 8 });
  store.close();
  server = await ModelServer.start(
    parseConfig(
      {
        port: 0,
        models: [
          {
            name: 'tiny',
            path: base,
            contextSize: 256,
            threads: 1,
            adapters: [{ name: 'a', path: adapter }],
          },
        ],
        mcp: { ragDatabase: database },
      },
      'test',
    ),
    { llama, logger: false },
  );
}, 180_000);
afterAll(async () => {
  await server?.close();
  await llama?.dispose();
  rmSync(root, { recursive: true, force: true });
});

async function connected(url: string, key?: string): Promise<Client> {
  const client = new Client({ name: 'lm-stack-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      ...(key ? { requestInit: { headers: { authorization: `Bearer ${key}` } } } : {}),
    }),
  );
  return client;
}

describe('MCP over streamable HTTP at /mcp', () => {
  it('lists the tools; generate gives the chat API greedy text; count_tokens and retrieve answer', async () => {
    const client = await connected(server.url);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['count_tokens', 'generate', 'retrieve']);
      expect(tools.find((tool) => tool.name === 'generate')!.description).toMatch(/served by lm-stack/);

      const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      for (const model of ['tiny', 'tiny+a']) {
        const viaApi = await openai.chat.completions.create({
          model,
          messages: [{ role: 'user', content: QUESTION }],
          temperature: 0,
          max_tokens: 12,
        });
        const viaMcp = (await client.callTool({
          name: 'generate',
          arguments: { model, prompt: QUESTION, max_tokens: 12 },
        })) as ToolResult;
        expect(viaMcp.isError).toBeFalsy();
        expect(viaMcp.content[0]!.text).toBe(viaApi.choices[0]!.message.content);
        expect(viaMcp.structuredContent).toMatchObject({ completionTokens: 12, finishReason: 'length' });
      }

      const counted = (await client.callTool({
        name: 'count_tokens',
        arguments: { model: 'tiny', text: 'Call me Ishmael.' },
      })) as ToolResult;
      const { tokenizer, model } = await importGguf(base);
      model.dispose();
      const ids = tokenizer.encodeOrdinary('Call me Ishmael.');
      expect(counted.structuredContent).toEqual({ tokens: ids.length, ids });

      const found = (await client.callTool({
        name: 'retrieve',
        arguments: { query: 'harpooneers Nantucket', k: 2, mode: 'bm25' },
      })) as ToolResult;
      const hits = (found.structuredContent as { hits: { filename: string; text: string }[] }).hits;
      expect(hits[0]!.filename).toMatch(/ships\.txt$/);
      expect(hits[0]!.text).toContain('Pequod');

      const unknown = (await client.callTool({
        name: 'generate',
        arguments: { model: 'nope', prompt: 'x' },
      })) as ToolResult;
      expect(unknown.isError).toBe(true);
      expect(unknown.content[0]!.text).toMatch(/model "nope" is not served here/);
    } finally {
      await client.close();
    }
  }, 120_000);

  it('keys apply: no key is a 401, a key for another model gets an error result, never the key back', async () => {
    const keyed = await ModelServer.start(
      parseConfig(
        {
          port: 0,
          models: [{ name: 'tiny', path: base, contextSize: 256, threads: 1 }],
          keys: [{ name: 'other', sha256: hashApiKey('sk-other-SECRET'), models: ['elsewhere'] }],
        },
        'test',
      ),
      { llama, logger: false },
    );
    try {
      await expect(connected(keyed.url)).rejects.toThrow(/missing API key/); // the 401 body, OpenAI-style
      const client = await connected(keyed.url, 'sk-other-SECRET');
      const denied = (await client.callTool({
        name: 'generate',
        arguments: { model: 'tiny', prompt: 'x' },
      })) as ToolResult;
      expect(denied.isError).toBe(true);
      expect(denied.content[0]!.text).not.toContain('SECRET');
      expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain('retrieve'); // no database
      await client.close();
    } finally {
      await keyed.close();
    }
  }, 120_000);
});

describe('lm-stack-mcp over stdio', () => {
  it('starts as a command an MCP client runs, on the typescript engine, and answers the tools', async () => {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        ...['--import', tsx, join(import.meta.dirname, 'mcp-cli.ts'), '--model', base, '--name', 'tiny'],
        ...['--engine', 'typescript', '--context', '256', '--rag', database],
      ],
      stderr: 'pipe',
    });
    const client = new Client({ name: 'lm-stack-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
        'count_tokens',
        'generate',
        'retrieve',
      ]);
      const counted = (await client.callTool({
        name: 'count_tokens',
        arguments: { model: 'tiny', text: 'Call me Ishmael.' },
      })) as ToolResult;
      expect((counted.structuredContent as { tokens: number }).tokens).toBeGreaterThan(3);
      const generated = (await client.callTool({
        name: 'generate',
        arguments: { model: 'tiny', prompt: QUESTION, max_tokens: 12 },
      })) as ToolResult;
      // The typescript engine gives llama.cpp's greedy text (typescript-engine.test.ts); here it is the server's.
      const viaHttp = await new OpenAI({
        baseURL: `${server.url}/v1`,
        apiKey: 'unused',
      }).chat.completions.create({
        model: 'tiny',
        messages: [{ role: 'user', content: QUESTION }],
        temperature: 0,
        max_tokens: 12,
      });
      expect(generated.content[0]!.text).toBe(viaHttp.choices[0]!.message.content);
    } finally {
      await client.close();
    }
  }, 120_000);
});
