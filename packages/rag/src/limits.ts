/** Bounds a loader checks before it allocates or inflates anything. */
export interface LoadLimits {
  /** Largest file read, in bytes. Default 64 MiB. */
  readonly maxFileBytes: number;
  /** Most PDF pages read. Default 2,000. */
  readonly maxPages: number;
  /** Most entries in a DOCX (zip) archive. Default 2,000. */
  readonly maxArchiveEntries: number;
  /** Most bytes all entries of an archive may inflate to. Default 128 MiB. */
  readonly maxInflatedBytes: number;
  /** Largest inflated / compressed ratio of one entry (zip bombs reach thousands). Default 200. */
  readonly maxCompressionRatio: number;
  /** Most lines of a JSONL file. Default 1,000,000. */
  readonly maxJsonlLines: number;
  /** Most characters of text a document may hold after extraction. Default 64 Mi. */
  readonly maxTextLength: number;
}

/**
 * The limits {@link loadDocument} uses unless told otherwise.
 *
 * @example
 * ```ts
 * await loadDocument('big.pdf', { limits: { ...DEFAULT_LOAD_LIMITS, maxPages: 10_000 } });
 * ```
 */
export const DEFAULT_LOAD_LIMITS: LoadLimits = {
  maxFileBytes: 64 * 1024 * 1024,
  maxPages: 2_000,
  maxArchiveEntries: 2_000,
  maxInflatedBytes: 128 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxJsonlLines: 1_000_000,
  maxTextLength: 64 * 1024 * 1024,
};
