#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { getLlama } from 'node-llama-cpp';
import { configFromFlags, MODEL_FLAGS } from './cli-flags.js';
import { loadConfigFile } from './config-file.js';
import type { Engine } from './engine.js';
import { ApiError, ConfigError } from './errors.js';
import { loadEngine } from './load-engine.js';
import { createMcpServer } from './mcp-tools.js';
import { servedModelNames } from './route-helpers.js';

const USAGE = `lm-stack-mcp: lm-stack's MCP tools over stdio, for MCP clients that start a command.

  lm-stack-mcp --model model.gguf [--name tiny] [--engine llama.cpp|typescript] [--adapter a=adapter.gguf]
               [--rag rag.db] [--context 2048] [--threads N]
  lm-stack-mcp --config serve.yaml        (its models and mcp.ragDatabase)

Tools: generate, count_tokens, and retrieve (with a @lm-stack/rag database). Logs go to stderr.`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: MODEL_FLAGS });
  if (values.help || (!values.model && !values.config)) {
    console.error(USAGE);
    process.exitCode = values.help ? 0 : 1;
    return;
  }
  const config = values.config ? loadConfigFile(values.config) : configFromFlags(values);
  const rag = config.mcp.ragDatabase;
  if (rag && !existsSync(rag)) throw new ConfigError(`--rag ${rag} does not exist`);
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const engines = new Map<string, Engine>();
  for (const model of config.models) engines.set(model.name, await loadEngine(llama, model));
  const find = (name: string) => {
    const [model, adapter] = name.split('+', 2) as [string, string | undefined];
    const engine = engines.get(model);
    if (!engine)
      throw new ApiError(
        404,
        'invalid_request_error',
        'model_not_found',
        `model "${model}" is not served here`,
      );
    return { engine, adapter };
  };
  const server = createMcpServer({
    models: () => servedModelNames(engines),
    chat: (name, messages, params) => {
      const { engine, adapter } = find(name);
      return engine.chat(messages, params, adapter, AbortSignal.timeout(config.limits.timeoutMs), () => {});
    },
    tokenize: (name, text) => find(name).engine.tokenize(text),
    ...(config.mcp.ragDatabase ? { ragDatabase: config.mcp.ragDatabase } : {}),
  });
  await server.connect(new StdioServerTransport());
  console.error(`lm-stack-mcp: serving ${[...engines.keys()].join(', ')} over stdio`);
  const stop = async () => {
    await server.close();
    for (const engine of engines.values()) await engine.dispose();
    await llama.dispose();
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(`lm-stack-mcp: ${(error as Error).message}`);
  process.exitCode = 1;
});
