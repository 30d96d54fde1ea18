import OpenAI from 'openai';
import { checkVectors } from './check-vectors.js';
import type { Embedder } from './embedder.js';
import { type RetryOptions, withRetries } from './retry.js';

/** Options of {@link OpenAiEmbedder}. */
export interface OpenAiEmbedderOptions {
  /** e.g. `"text-embedding-3-small"`. */
  readonly model: string;
  /** Any OpenAI-compatible API; default `https://api.openai.com/v1`. */
  readonly baseURL?: string | undefined;
  /** Sent as a bearer token; never logged or stored. */
  readonly apiKey?: string | undefined;
  /** Ask the server for shorter vectors (text-embedding-3 models). */
  readonly dimensions?: number;
  /** Per-request timeout in ms. Default 60,000. */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
}

/**
 * Embeddings from any OpenAI-compatible `/v1/embeddings` (npm `openai`), with retries that honour
 * Retry-After.
 *
 * @example
 * ```ts
 * const embedder = new OpenAiEmbedder({ model: 'text-embedding-3-small', apiKey: process.env.OPENAI_API_KEY });
 * ```
 */
export class OpenAiEmbedder implements Embedder {
  readonly id: string;
  private known: number | undefined;
  private readonly client: OpenAI;
  private readonly provider: string;
  constructor(private readonly options: OpenAiEmbedderOptions) {
    this.client = new OpenAI({
      apiKey: options.apiKey ?? 'unused',
      baseURL: options.baseURL,
      maxRetries: 0, // withRetries decides, the same way for every provider
      timeout: options.timeoutMs ?? 60_000,
    });
    this.provider = `openai-compatible ${this.client.baseURL}`;
    this.id = `openai:${options.model}${options.dimensions ? `:${options.dimensions}` : ''}`;
    this.known = options.dimensions;
  }

  /** Known after the first answer, or from `dimensions`. */
  get dimension(): number | undefined {
    return this.known;
  }

  /** One vector per text, from one request (retried on 429 with Retry-After, 5xx and network errors). */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const response = await withRetries(
      this.provider,
      () =>
        this.client.embeddings.create(
          {
            model: this.options.model,
            input: [...texts],
            encoding_format: 'float',
            ...(this.options.dimensions ? { dimensions: this.options.dimensions } : {}),
          },
          { signal },
        ),
      this.options.retry,
      signal,
    );
    const ordered = Array.isArray(response?.data)
      ? [...response.data].sort((a, b) => a.index - b.index).map((item) => item.embedding)
      : undefined;
    const vectors = checkVectors(this.provider, this.id, ordered, texts.length, this.known);
    this.known = vectors[0]!.length;
    return vectors;
  }
}
