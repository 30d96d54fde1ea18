import { Ollama } from 'ollama';
import { checkVectors } from './check-vectors.js';
import type { Embedder } from './embedder.js';
import { type RetryOptions, withRetries } from './retry.js';

/** Options of {@link OllamaEmbedder}. */
export interface OllamaEmbedderOptions {
  /** An embedding model the server has, e.g. `"nomic-embed-text"`. */
  readonly model: string;
  /** Default `http://127.0.0.1:11434`. */
  readonly host?: string | undefined;
  readonly retry?: RetryOptions;
}

/**
 * Embeddings from an Ollama server's `/api/embed` (npm `ollama`), many texts per request, with retries.
 *
 * @example
 * ```ts
 * const embedder = new OllamaEmbedder({ model: 'nomic-embed-text' });
 * const [vector] = await embedder.embed(['hello']);
 * ```
 */
export class OllamaEmbedder implements Embedder {
  readonly id: string;
  private known: number | undefined;
  private readonly client: Ollama;
  private readonly host: string;
  constructor(private readonly options: OllamaEmbedderOptions) {
    this.host = options.host ?? 'http://127.0.0.1:11434';
    this.client = new Ollama({ host: this.host });
    this.id = `ollama:${options.model}`;
  }

  /** Known after the first answer. */
  get dimension(): number | undefined {
    return this.known;
  }

  /** One vector per text, from one `/api/embed` request (retried on 429, 5xx and network errors). */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const provider = `ollama ${this.host}`;
    const response = await withRetries(
      provider,
      () => this.client.embed({ model: this.options.model, input: [...texts] }),
      this.options.retry,
      signal,
    );
    const vectors = checkVectors(provider, this.id, response?.embeddings, texts.length, this.known);
    this.known = vectors[0]!.length;
    return vectors;
  }
}
