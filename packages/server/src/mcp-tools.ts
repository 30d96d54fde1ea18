import { existsSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ChatMessage, GenerationParams, GenerationResult } from './engine.js';
import { ServerError } from './errors.js';

/** What the MCP tools reach: the served models (as the caller may use them) and a RAG database. */
export interface McpToolbox {
  /** Names the caller may generate with (`base` and `base+adapter`). */
  models(): string[];
  chat(model: string, messages: readonly ChatMessage[], params: GenerationParams): Promise<GenerationResult>;
  tokenize(model: string, text: string): number[];
  /** A `@lm-stack/rag` database (path) for the `retrieve` tool; without one the tool is not offered. */
  readonly ragDatabase?: string;
}

/** Package version reported to MCP clients. */
const VERSION = '0.0.0';

const asText = (value: unknown) => ({
  content: [{ type: 'text' as const, text: JSON.stringify(value, null, 2) }],
  structuredContent: value as Record<string, unknown>,
});

/**
 * An MCP server (Model Context Protocol, `@modelcontextprotocol/sdk`) with lm-stack's tools: `generate`
 * (a reply from a served model), `count_tokens` (in a served model's own tokenizer) and, with a database,
 * `retrieve` (BM25, vector or hybrid search of a `@lm-stack/rag` store). Connect it to any transport: the
 * model server mounts it at `/mcp` (streamable HTTP), `lm-stack-mcp` runs it over stdio.
 *
 * @example
 * ```ts
 * const mcp = createMcpServer(toolbox);
 * await mcp.connect(new StdioServerTransport());
 * ```
 */
export function createMcpServer(toolbox: McpToolbox): McpServer {
  const server = new McpServer({ name: 'lm-stack', version: VERSION });
  const model = z.string().describe(`a served model: ${toolbox.models().join(', ') || 'none'}`);
  server.registerTool(
    'generate',
    {
      title: 'Generate with a served model',
      description:
        'The reply of a model served by lm-stack to a prompt (greedy unless a temperature is given).',
      inputSchema: {
        model,
        prompt: z.string().min(1),
        system: z.string().optional(),
        max_tokens: z.number().int().min(1).max(4096).default(256),
        temperature: z.number().min(0).max(2).default(0),
      },
    },
    async ({ model: name, prompt, system, max_tokens, temperature }) => {
      const messages: ChatMessage[] = [
        ...(system ? [{ role: 'system' as const, content: system }] : []),
        { role: 'user', content: prompt },
      ];
      const result = await toolbox.chat(name, messages, { maxTokens: max_tokens, temperature });
      return {
        content: [{ type: 'text', text: result.text }],
        structuredContent: {
          text: result.text,
          finishReason: result.finishReason,
          promptTokens: result.promptTokens,
          completionTokens: result.completionTokens,
        },
      };
    },
  );
  server.registerTool(
    'count_tokens',
    {
      title: 'Count tokens',
      description: "Tokens of a text in a served model's own tokenizer, with the ids (at most 4,096 shown).",
      inputSchema: { model, text: z.string() },
    },
    async ({ model: name, text }) => {
      const ids = toolbox.tokenize(name, text);
      return asText({ tokens: ids.length, ids: ids.slice(0, 4096) });
    },
  );
  if (toolbox.ragDatabase) {
    const database = toolbox.ragDatabase;
    server.registerTool(
      'retrieve',
      {
        title: 'Retrieve from the document database',
        description: `Chunks of the documents in ${database} that best match a query, with scores and sources.`,
        inputSchema: {
          query: z.string().min(1),
          k: z.number().int().min(1).max(50).default(5),
          mode: z.enum(['bm25', 'vector', 'hybrid']).optional(),
        },
      },
      async ({ query, k, mode }) => {
        // Opening a missing path would create an empty database: a moved file is an error, not no results.
        if (!existsSync(database)) throw new ServerError(`the RAG database ${database} does not exist`);
        const { RagStore, embedderFromSpec } = await import('@lm-stack/rag');
        const probe = RagStore.open(database);
        const spec = probe.setting('embedder');
        probe.close();
        const store = RagStore.open(database, spec ? { embedder: embedderFromSpec(spec) } : {});
        try {
          const hits = await store.search(query, { k, ...(mode ? { mode } : {}) });
          return asText({
            hits: hits.map((hit) => ({
              filename: hit.filename,
              chunkIndex: hit.chunkIndex,
              score: hit.score,
              text: hit.text,
              page: hit.metadata.page ?? null,
            })),
          });
        } finally {
          store.close();
        }
      },
    );
  }
  return server;
}
