/** Which index answers a query. */
export type SearchMode = 'bm25' | 'vector' | 'hybrid';

/** Restricts a search to some chunks. */
export interface SearchFilter {
  /** A SQLite GLOB over the stored filename, e.g. `"*\/handbook/*.pdf"`. */
  readonly filename?: string;
  /** Equality on top-level metadata fields, e.g. `{ format: 'pdf', page: 3 }`. */
  readonly metadata?: Readonly<Record<string, string | number | boolean>>;
}

/** Options of {@link RagStore.search}. */
export interface SearchOptions {
  /** Default `'hybrid'`. */
  readonly mode?: SearchMode;
  /** Results returned. Default 5. */
  readonly k?: number;
  readonly filter?: SearchFilter;
  /** Reciprocal rank fusion: score = Σ weight / (rrfK + rank). Defaults 1, 1 and 60 (Cormack et al., 2009). */
  readonly weights?: { readonly bm25?: number; readonly vector?: number };
  readonly rrfK?: number;
}

/** A chunk a search found. */
export interface SearchHit {
  /** `documents.id`. */
  readonly id: number;
  readonly filename: string;
  readonly chunkIndex: number;
  readonly text: string;
  /** Higher is better: −bm25 for BM25, 1 − cosine distance for vectors, the RRF sum for hybrid. */
  readonly score: number;
  /** 1-based ranks in the lists that found it. */
  readonly ranks: { readonly bm25?: number; readonly vector?: number };
  /** The chunk's metadata: source path, sha256, title, format, page/record, start, end, tokens, headings. */
  readonly metadata: ChunkMetadata;
}

/** What each row's `metadata` JSON holds. */
export interface ChunkMetadata {
  readonly source: string;
  readonly sha256: string;
  readonly title: string;
  readonly format: string;
  readonly page?: number;
  readonly record?: number;
  /** UTF-16 offsets of the chunk in its part's text. */
  readonly start: number;
  readonly end: number;
  readonly tokens: number;
  readonly headings?: readonly string[];
}
