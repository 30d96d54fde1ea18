import { z } from 'zod';
import { ConfigError } from './errors.js';

const positive = z.number().int().positive();

/**
 * MiniGPT's shape. `dModel` and `dFf` must be multiples of 32 (ggml's quantization block) unless
 * `allowUnquantizable` is set; `nHeads` divides `dModel` into an even head size (RoPE rotates pairs), and
 * `nKvHeads` divides `nHeads` (grouped-query attention).
 */
export const miniGptConfigSchema = z
  .object({
    vocabSize: positive,
    contextLength: positive,
    dModel: positive,
    nLayers: positive,
    nHeads: positive,
    nKvHeads: positive.optional(),
    dFf: positive,
    ropeBase: z.number().positive().default(10_000),
    normEps: z.number().positive().default(1e-5),
    tieEmbeddings: z.boolean().default(false),
    dropout: z.number().min(0).max(1).default(0),
    allowUnquantizable: z.boolean().default(false),
  })
  .superRefine((config, context) => {
    const problem = (path: string, message: string) =>
      context.addIssue({ code: 'custom', path: [path], message });
    if (!config.allowUnquantizable) {
      if (config.dModel % 32 !== 0)
        problem('dModel', 'must be a multiple of 32 (quantized export needs 32-element blocks)');
      if (config.dFf % 32 !== 0)
        problem('dFf', 'must be a multiple of 32 (quantized export needs 32-element blocks)');
    }
    if (config.dModel % config.nHeads !== 0) problem('nHeads', `must divide dModel (${config.dModel})`);
    else if ((config.dModel / config.nHeads) % 2 !== 0)
      problem('nHeads', 'must leave an even head size (RoPE rotates pairs)');
    const kvHeads = config.nKvHeads ?? config.nHeads;
    if (config.nHeads % kvHeads !== 0) problem('nKvHeads', `must divide nHeads (${config.nHeads})`);
  });

/** A MiniGPT config as written by users (defaults filled in by {@link parseMiniGptConfig}). */
export type MiniGptConfigInput = z.input<typeof miniGptConfigSchema>;
/** A validated MiniGPT config. */
export type MiniGptConfig = z.output<typeof miniGptConfigSchema>;

/** The LSTM language model's shape. */
export const lstmConfigSchema = z.object({
  vocabSize: positive,
  contextLength: positive,
  embeddingSize: positive,
  hiddenSize: positive,
  nLayers: positive,
  dropout: z.number().min(0).max(1).default(0),
});

/** An LSTM config as written by users. */
export type LstmConfigInput = z.input<typeof lstmConfigSchema>;
/** A validated LSTM config. */
export type LstmConfig = z.output<typeof lstmConfigSchema>;

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const field = issue.path.join('.');
      const value = field ? (input as Record<string, unknown>)?.[field] : input;
      return `${field} ${JSON.stringify(value)}: ${issue.message}`;
    }),
  );
}

/**
 * Validates a MiniGPT config and fills in defaults; every problem is listed in one {@link ConfigError}.
 *
 * @example
 * ```ts
 * parseMiniGptConfig({ vocabSize: 512, contextLength: 128, dModel: 128, nLayers: 4, nHeads: 4, dFf: 512 }).ropeBase; // 10000
 * ```
 */
export function parseMiniGptConfig(input: MiniGptConfigInput): MiniGptConfig {
  return parse(miniGptConfigSchema, input);
}

/**
 * Validates an LSTM config and fills in defaults.
 *
 * @example
 * ```ts
 * parseLstmConfig({ vocabSize: 512, contextLength: 128, embeddingSize: 128, hiddenSize: 256, nLayers: 2 }).dropout; // 0
 * ```
 */
export function parseLstmConfig(input: LstmConfigInput): LstmConfig {
  return parse(lstmConfigSchema, input);
}
