/**
 * Turns texts into vectors. One interface for the built-in offline embedder, Ollama and any
 * OpenAI-compatible API; the store records `id` and `dimension` and refuses a different embedder.
 */
export interface Embedder {
  /** Names the model and its settings, e.g. `"hashing-v1-256"` or `"ollama:nomic-embed-text"`. */
  readonly id: string;
  /** Length of every vector; undefined until the first call where the server decides it. */
  readonly dimension: number | undefined;
  /** One vector per text, in order. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}
