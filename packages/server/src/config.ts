import { z } from 'zod';

const adapterSchema = z.object({
  /** Named in requests as `model: "<base>+<adapter>"` or the `adapter` field. */
  name: z.string().regex(/^[A-Za-z0-9._-]+$/),
  /** A llama.cpp LoRA adapter (GGUF). */
  path: z.string().min(1),
  /** Multiplies the adapter's alpha/r scale. */
  scale: z.number().min(0).max(10).default(1),
});

const modelSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9._:-]+$/),
  /** A GGUF file: any llama.cpp loads, or one of ours (llama architecture) for the typescript engine. */
  path: z.string().min(1),
  /** `llama.cpp` (node-llama-cpp) or `typescript` (lm-stack's own MiniGPT runtime on TensorFlow.js). */
  engine: z.union([z.literal('llama.cpp'), z.literal('typescript')]).default('llama.cpp'),
  contextSize: z
    .number()
    .int()
    .min(64)
    .max(1 << 20)
    .default(2048),
  /** CPU threads for this model; when absent, every core but one (`defaultThreads`). */
  threads: z.number().int().min(1).max(256).optional(),
  adapters: z.array(adapterSchema).default([]),
});

const keySchema = z.object({
  /** Shown in logs and metrics instead of the key. */
  name: z.string().min(1),
  /** sha256 of the key, hex: the config never holds a key itself. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Models this key may use; all when absent. */
  models: z.array(z.string()).optional(),
  /** May load and unload adapters (POST/DELETE /admin/adapters). */
  admin: z.boolean().default(false),
});

/** The server's configuration, as JSON or YAML; every field but `models` has a default. */
export const serverConfigSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(11435),
  models: z.array(modelSchema).min(1),
  /** Without keys the server is open (it listens on loopback by default). */
  keys: z.array(keySchema).default([]),
  limits: z
    .object({
      /** Generations at once (llama.cpp runs one at a time per loaded model variant). */
      concurrency: z.number().int().min(1).max(256).default(4),
      /** Requests waiting beyond that; more get 429. */
      queue: z.number().int().min(0).max(100_000).default(64),
      bodyBytes: z
        .number()
        .int()
        .min(1024)
        .max(64 * 1024 * 1024)
        .default(1024 * 1024),
      /** Per request, queueing included. */
      timeoutMs: z.number().int().min(100).default(120_000),
      maxTokens: z.number().int().min(1).default(4096),
      /**
       * Streamed events are written to the socket at most this often, and the text generated within one
       * interval goes out as one chunk (0: every token its own event, written on the next event-loop turn).
       * 10 ms is below one frame of a 60 Hz display (16.7 ms): a reader cannot see the batching.
       */
      streamFlushMs: z.number().int().min(0).max(100).default(10),
    })
    .prefault({}),
  cors: z.boolean().default(false),
  /** The MCP endpoint `/mcp` (streamable HTTP): tools generate, count_tokens and, with a database, retrieve. */
  mcp: z
    .object({
      enabled: z.boolean().default(true),
      /** A `@lm-stack/rag` SQLite database for the `retrieve` tool. */
      ragDatabase: z.string().min(1).optional(),
    })
    .prefault({}),
});

/** A validated server configuration (defaults filled in). */
export type ServerConfig = z.output<typeof serverConfigSchema>;
/** A configuration as written (defaults optional). */
export type ServerConfigInput = z.input<typeof serverConfigSchema>;
/** One served model. */
export type ModelConfig = ServerConfig['models'][number];
/** One LoRA adapter of a model. */
export type AdapterConfig = ModelConfig['adapters'][number];
