import { z } from 'zod';
import { MAX_TOP_LOGPROBS } from './token-logprobs.js';

const message = z.object({
  role: z.enum(['system', 'user', 'assistant', 'developer']),
  content: z.union([z.string(), z.array(z.object({ type: z.literal('text'), text: z.string() }))]),
});

const stop = z.union([z.string(), z.array(z.string()).max(8)]).optional();

/** POST /v1/chat/completions (the fields this server honours; others are ignored as OpenAI does). */
export const chatCompletionRequest = z.object({
  model: z.string().min(1),
  messages: z.array(message).min(1).max(1024),
  stream: z.boolean().default(false),
  stream_options: z.object({ include_usage: z.boolean().optional() }).optional(),
  max_tokens: z.number().int().min(1).optional(),
  max_completion_tokens: z.number().int().min(1).optional(),
  temperature: z.number().min(0).max(2).default(1),
  top_p: z.number().gt(0).max(1).optional(),
  seed: z.number().int().optional(),
  n: z.number().int().min(1).max(8).default(1),
  stop,
  logprobs: z.boolean().optional(),
  top_logprobs: z.number().int().min(0).max(MAX_TOP_LOGPROBS).optional(),
  response_format: z
    .union([
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({
        type: z.literal('json_schema'),
        json_schema: z.object({
          name: z.string().optional(),
          schema: z.record(z.string(), z.unknown()),
          strict: z.boolean().optional(),
        }),
      }),
    ])
    .optional(),
  adapter: z.string().optional(),
});

/** POST /v1/completions. */
export const completionRequest = z.object({
  model: z.string().min(1),
  prompt: z.union([z.string(), z.array(z.string()).length(1)]),
  stream: z.boolean().default(false),
  max_tokens: z.number().int().min(1).default(16),
  temperature: z.number().min(0).max(2).default(1),
  top_p: z.number().gt(0).max(1).optional(),
  seed: z.number().int().optional(),
  stop,
  /** Alternatives per token (OpenAI's legacy completions allow at most 5). */
  logprobs: z.number().int().min(0).max(5).nullable().optional(),
  adapter: z.string().optional(),
});

/** POST /v1/embeddings and /api/embed share this shape (OpenAI's `input`). */
export const embeddingRequest = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
  /** The `openai` npm client asks for base64 (little-endian float32) unless told otherwise. */
  encoding_format: z.enum(['float', 'base64']).default('float'),
});

const ollamaOptions = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().gt(0).max(1).optional(),
    seed: z.number().int().optional(),
    num_predict: z.number().int().optional(),
    stop: z.array(z.string()).max(8).optional(),
  })
  .optional();

/** POST /api/chat. */
export const ollamaChatRequest = z.object({
  model: z.string().min(1),
  messages: z
    .array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }))
    .min(1)
    .max(1024),
  stream: z.boolean().default(true),
  format: z.union([z.literal('json'), z.record(z.string(), z.unknown())]).optional(),
  options: ollamaOptions,
});

/** POST /api/generate. */
export const ollamaGenerateRequest = z.object({
  model: z.string().min(1),
  prompt: z.string(),
  system: z.string().optional(),
  raw: z.boolean().optional(),
  stream: z.boolean().default(true),
  format: z.union([z.literal('json'), z.record(z.string(), z.unknown())]).optional(),
  options: ollamaOptions,
});

/** POST /api/show: the model under `model` (or the older `name`). */
export const ollamaShowRequest = z
  .object({ model: z.string().min(1).optional(), name: z.string().min(1).optional() })
  .refine((body) => body.model ?? body.name, { message: 'Required', path: ['model'] });

/** POST /admin/adapters. */
export const adapterRequest = z.object({
  model: z.string().min(1),
  name: z.string().regex(/^[A-Za-z0-9._-]+$/),
  path: z.string().min(1),
  scale: z.number().min(0).max(10).default(1),
});
