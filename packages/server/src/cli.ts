#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { configFromFlags as fromFlags, MODEL_FLAGS } from './cli-flags.js';
import { loadConfigFile, watchConfigFile } from './config-file.js';
import { ServerError } from './errors.js';
import { ModelServer } from './model-server.js';

const USAGE = `lm-stack-serve: OpenAI- and Ollama-compatible API for GGUF models (llama.cpp).

  lm-stack-serve --model model-q8_0.gguf [--name tiny] [--adapter chat=adapter.gguf[:scale]]...
                 [--engine llama.cpp|typescript]   (typescript: lm-stack's own MiniGPT runtime, our GGUFs)
                 [--host 127.0.0.1] [--port 11435] [--context 2048] [--threads N]
  lm-stack-serve --config serve.yaml      (watched: edits apply without a restart; a bad edit is refused)

Endpoints: /v1/chat/completions /v1/completions /v1/models /v1/embeddings, /api/chat /api/generate
/api/tags /api/show /api/embed, /admin/adapters, /mcp (MCP, streamable HTTP), /health /ready /metrics. A request picks an adapter
with model "tiny+chat". API keys: "keys" in the config, as sha256 (see hashApiKey).`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: MODEL_FLAGS });
  if (values.help || (!values.model && !values.config)) {
    console.log(USAGE);
    process.exitCode = values.help ? 0 : 1;
    return;
  }
  const config = values.config ? loadConfigFile(values.config) : fromFlags(values);
  const server = await ModelServer.start(config);
  const models = config.models
    .map((model) =>
      [model.name, ...model.adapters.map((adapter) => `${model.name}+${adapter.name}`)].join(', '),
    )
    .join('; ');
  console.error(`lm-stack-serve: ${server.url} serving ${models}`);
  const stopWatching = values.config
    ? watchConfigFile(
        values.config,
        (next) =>
          void server.reload(next).then(
            () => console.error(`lm-stack-serve: reloaded ${values.config}`),
            (error: unknown) =>
              console.error(
                `lm-stack-serve: reload refused, still serving the old config: ${(error as Error).message}`,
              ),
          ),
        (error) => console.error(`lm-stack-serve: ${error.message}; still serving the old config`),
      )
    : () => {};
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // a second Ctrl-C: now
    stopping = true;
    console.error(`lm-stack-serve: ${signal}, finishing running requests`);
    stopWatching();
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ServerError ? `lm-stack-serve: ${error.message}` : error);
  process.exitCode = 1;
});
