export { type ChunkOptions, chunkText, type TextChunk, type TokenCounter } from './chunk-text.js';
export type { DocumentFormat, DocumentPart, LoadedDocument } from './document.js';
export type { Embedder } from './embedder.js';
export { type EmbedderEndpoints, embedderFromSpec } from './embedder-spec.js';
export {
  ChunkOptionsError,
  CorruptDocumentError,
  DocumentLoadError,
  EmbeddingDimensionError,
  EmbeddingRequestError,
  EncryptedDocumentError,
  InvalidUtf8Error,
  LimitExceededError,
  RagError,
  StoreSchemaError,
  UnsupportedFileTypeError,
} from './errors.js';
export { type FormatContextOptions, type FormattedContext, formatContext } from './format-context.js';
export { HashingEmbedder } from './hashing-embedder.js';
export { DEFAULT_LOAD_LIMITS, type LoadLimits } from './limits.js';
export { DOCUMENT_FORMATS, type LoadOptions, loadDocument } from './load-document.js';
export { OllamaEmbedder, type OllamaEmbedderOptions } from './ollama-embedder.js';
export { OpenAiEmbedder, type OpenAiEmbedderOptions } from './openai-embedder.js';
export {
  type FileOutcome,
  type IngestOptions,
  RagStore,
  type RagStoreOptions,
  type StoreStats,
} from './rag-store.js';
export type { RetryOptions } from './retry.js';
export { SCHEMA_VERSION } from './schema.js';
export type {
  ChunkMetadata,
  SearchFilter,
  SearchHit,
  SearchMode,
  SearchOptions,
} from './search-types.js';
