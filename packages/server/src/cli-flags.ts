import { basename } from 'node:path';
import type { ServerConfig } from './config.js';
import { parseConfig } from './config-file.js';
import { ServerError } from './errors.js';

/** The flags lm-stack-serve and lm-stack-mcp share (node:util parseArgs options). */
export const MODEL_FLAGS = {
  model: { type: 'string' },
  name: { type: 'string' },
  adapter: { type: 'string', multiple: true },
  engine: { type: 'string', default: 'llama.cpp' },
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '11435' },
  context: { type: 'string', default: '2048' },
  threads: { type: 'string' },
  config: { type: 'string' },
  rag: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** A one-model config from `--model … [--name --adapter name=path[:scale] --engine --context --threads --rag]`. */
export function configFromFlags(
  values: Record<string, string | boolean | string[] | undefined>,
): ServerConfig {
  const path = values.model as string;
  const adapters = ((values.adapter as string[] | undefined) ?? []).map((spec) => {
    const match = /^([A-Za-z0-9._-]+)=(.+?)(?::([\d.]+))?$/.exec(spec);
    if (!match) throw new ServerError(`--adapter ${spec}: expected name=path[:scale]`);
    return { name: match[1]!, path: match[2]!, ...(match[3] ? { scale: Number(match[3]) } : {}) };
  });
  return parseConfig(
    {
      host: values.host,
      ...(values.rag ? { mcp: { ragDatabase: values.rag } } : {}),
      port: Number(values.port),
      models: [
        {
          name: (values.name as string | undefined) ?? basename(path).replace(/\.gguf$/i, ''),
          path,
          engine: values.engine,
          contextSize: Number(values.context),
          ...(values.threads ? { threads: Number(values.threads) } : {}),
          adapters,
        },
      ],
    },
    'flags',
  );
}
