import type { Embedder } from './embedder.js';
import { RagError } from './errors.js';
import { HashingEmbedder } from './hashing-embedder.js';
import { OllamaEmbedder } from './ollama-embedder.js';
import { OpenAiEmbedder } from './openai-embedder.js';

/** Where remote embedders live, for {@link embedderFromSpec}. */
export interface EmbedderEndpoints {
  /** Ollama's URL. Default `OLLAMA_HOST` or `http://127.0.0.1:11434`. */
  readonly ollamaHost?: string;
  /** An OpenAI-compatible API's URL. Default `OPENAI_BASE_URL` or OpenAI's. */
  readonly openAiBaseUrl?: string;
  /** Default `OPENAI_API_KEY`. */
  readonly openAiApiKey?: string;
}

/**
 * An embedder from its id as a store records it: `hashing-v1-<dimension>` (or `hashing`: 256),
 * `ollama:<model>`, `openai:<model>[:<dimensions>]`.
 *
 * @example
 * ```ts
 * const embedder = embedderFromSpec(store.setting('embedder') ?? 'hashing');
 * ```
 */
export function embedderFromSpec(spec: string, endpoints: EmbedderEndpoints = {}): Embedder {
  if (spec === 'hashing') return new HashingEmbedder(256);
  const hashing = /^hashing-v1-(\d+)$/.exec(spec);
  if (hashing) return new HashingEmbedder(Number(hashing[1]));
  if (spec.startsWith('ollama:'))
    return new OllamaEmbedder({
      model: spec.slice(7),
      host: endpoints.ollamaHost ?? process.env.OLLAMA_HOST,
    });
  const openAi = /^openai:([^:]+)(?::(\d+))?$/.exec(spec);
  if (openAi)
    return new OpenAiEmbedder({
      model: openAi[1]!,
      ...(openAi[2] ? { dimensions: Number(openAi[2]) } : {}),
      baseURL: endpoints.openAiBaseUrl ?? process.env.OPENAI_BASE_URL,
      apiKey: endpoints.openAiApiKey ?? process.env.OPENAI_API_KEY,
    });
  throw new RagError(`embedder "${spec}" is not hashing, hashing-v1-<n>, ollama:<model> or openai:<model>`);
}
