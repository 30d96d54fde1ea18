/**
 * Base class of this package's errors.
 *
 * @example
 * ```ts
 * try { await loadDocument('broken.pdf'); } catch (error) { if (error instanceof RagError) console.log(error.message); }
 * ```
 */
export class RagError extends Error {
  override name = 'RagError';
}

/**
 * A file could not be read as a document: each subclass says why, and every one names the file.
 *
 * @example
 * ```ts
 * await loadDocument('notes.xyz'); // UnsupportedFileTypeError: notes.xyz: ".xyz" is not one of .txt, .md, …
 * ```
 */
export class DocumentLoadError extends RagError {
  override name = 'DocumentLoadError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/**
 * The file's extension has no loader.
 *
 * @example
 * ```ts
 * await loadDocument('image.png'); // UnsupportedFileTypeError: image.png: ".png" is not one of .txt, .md, …
 * ```
 */
export class UnsupportedFileTypeError extends DocumentLoadError {
  override name = 'UnsupportedFileTypeError';
  constructor(
    file: string,
    readonly extension: string,
    supported: readonly string[],
  ) {
    super(file, `"${extension || '(none)'}" is not one of ${supported.join(', ')}`);
  }
}

/**
 * A count or size in the file is over its limit (file bytes, pages, archive entries, inflated bytes, lines).
 *
 * @example
 * ```ts
 * await loadDocument('huge.txt'); // LimitExceededError: huge.txt: file size 104,857,600 bytes exceeds 67,108,864
 * ```
 */
export class LimitExceededError extends DocumentLoadError {
  override name = 'LimitExceededError';
  constructor(
    file: string,
    readonly what: string,
    readonly value: number,
    readonly limit: number,
  ) {
    super(file, `${what} ${value.toLocaleString('en-US')} exceeds ${limit.toLocaleString('en-US')}`);
  }
}

/**
 * The bytes are not valid UTF-8.
 *
 * @example
 * ```ts
 * await loadDocument('latin1.txt'); // InvalidUtf8Error: latin1.txt: not valid UTF-8 at byte 1,204
 * ```
 */
export class InvalidUtf8Error extends DocumentLoadError {
  override name = 'InvalidUtf8Error';
  constructor(
    file: string,
    readonly offset: number,
  ) {
    super(file, `not valid UTF-8 at byte ${offset.toLocaleString('en-US')}`);
  }
}

/**
 * The document is password-protected.
 *
 * @example
 * ```ts
 * await loadDocument('secret.pdf'); // EncryptedDocumentError: secret.pdf: the document is encrypted …
 * ```
 */
export class EncryptedDocumentError extends DocumentLoadError {
  override name = 'EncryptedDocumentError';
  constructor(file: string) {
    super(file, 'the document is encrypted (password-protected); decrypt it first');
  }
}

/**
 * The file is damaged or is not what its extension says.
 *
 * @example
 * ```ts
 * await loadDocument('cut.pdf'); // CorruptDocumentError: cut.pdf: not a readable PDF (Invalid PDF structure.)
 * ```
 */
export class CorruptDocumentError extends DocumentLoadError {
  override name = 'CorruptDocumentError';
}

/**
 * Chunking options that cannot work (a size below 1, an overlap not smaller than the size).
 *
 * @example
 * ```ts
 * chunkText('…', { tokenizer, chunkSize: 100, overlap: 100 }); // ChunkOptionsError: overlap 100 must be below chunkSize 100
 * ```
 */
export class ChunkOptionsError extends RagError {
  override name = 'ChunkOptionsError';
}

/**
 * An embedder returned vectors of another length than the store holds (or than it said it would).
 *
 * @example
 * ```ts
 * // EmbeddingDimensionError: embedder "ollama:nomic-embed-text" gives 768 dimensions; this store holds 256 (hashing-v1-256)
 * ```
 */
export class EmbeddingDimensionError extends RagError {
  override name = 'EmbeddingDimensionError';
  constructor(
    readonly embedder: string,
    readonly got: number,
    readonly expected: number,
    context: string,
  ) {
    super(`embedder "${embedder}" gives ${got} dimensions; ${context} ${expected}`);
  }
}

/**
 * An embedding request failed after its retries (unreachable server, HTTP error, malformed answer).
 *
 * @example
 * ```ts
 * // EmbeddingRequestError: ollama http://127.0.0.1:11434: HTTP 500 after 3 attempts: model failed to load
 * ```
 */
export class EmbeddingRequestError extends RagError {
  override name = 'EmbeddingRequestError';
  constructor(
    readonly provider: string,
    readonly status: number | undefined,
    readonly attempts: number,
    detail: string,
  ) {
    super(
      `${provider}: ${status ? `HTTP ${status}` : 'request failed'} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${detail}`,
    );
  }
}

/**
 * The database was written by a newer version of this package, or is not a store of this package.
 *
 * @example
 * ```ts
 * RagStore.open('other.db'); // StoreSchemaError: other.db: schema version 9 is newer than this package's 1
 * ```
 */
export class StoreSchemaError extends RagError {
  override name = 'StoreSchemaError';
}
