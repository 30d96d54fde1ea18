import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { type ChunkOptions, chunkText } from './chunk-text.js';
import type { Embedder } from './embedder.js';
import { DocumentLoadError, EmbeddingDimensionError, StoreSchemaError } from './errors.js';
import { type LoadOptions, loadDocument } from './load-document.js';
import { migrate, SCHEMA_VERSION } from './schema.js';
import { searchStore } from './search.js';
import type { ChunkMetadata, SearchHit, SearchOptions } from './search-types.js';
import { walkFiles } from './walk-files.js';

/** Options of {@link RagStore.open}. */
export interface RagStoreOptions {
  /** Embeds chunks on ingest and queries on vector search. Without one, only BM25 search works. */
  readonly embedder?: Embedder;
}

/** Options of {@link RagStore.ingest}. */
export interface IngestOptions extends Omit<ChunkOptions, 'markdown'>, LoadOptions {
  /** Names the tokenizer in the store's records (a change of tokenizer re-chunks every file). */
  readonly tokenizerName: string;
  /** Chunks embedded per request. Default 64. */
  readonly batchSize?: number;
  /** Remove stored files under the folders given that are no longer there. Default true. */
  readonly cleanup?: boolean;
  /** Called after each file. */
  readonly onFile?: (file: FileOutcome, done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** What ingest did with one file. */
export interface FileOutcome {
  readonly filename: string;
  readonly status: 'added' | 'replaced' | 'unchanged' | 'removed' | 'failed';
  readonly chunks: number;
  readonly bytes: number;
  readonly error?: string;
}

/** The counts of a store. */
export interface StoreStats {
  readonly path: string;
  readonly schemaVersion: number;
  readonly sources: number;
  readonly chunks: number;
  readonly sourceBytes: number;
  readonly tokens: number;
  readonly embedder: string | undefined;
  readonly dimension: number | undefined;
  readonly fileBytes: number;
  readonly byFormat: ReadonlyMap<string, number>;
}

interface PreparedChunk {
  readonly text: string;
  readonly metadata: ChunkMetadata;
}

/**
 * A SQLite database of document chunks (better-sqlite3, WAL): the `documents` table users' tools expect,
 * an FTS5 index for BM25, a sqlite-vec table for vectors, and per-file records for incremental re-ingest —
 * unchanged files (same sha256, same chunking) are skipped, changed ones replace their chunks in one
 * transaction, deleted ones are removed. A killed ingest leaves only whole documents.
 *
 * @example
 * ```ts
 * const tokenizer = await BpeTokenizer.fromTiktoken('cl100k_base');
 * const store = RagStore.open('rag.db', { embedder: new HashingEmbedder() });
 * await store.ingest(['docs/'], { tokenizer, tokenizerName: 'cl100k_base' });
 * const hits = await store.search('how do I reset my password?', { k: 5 });
 * store.close();
 * ```
 */
export class RagStore {
  private constructor(
    readonly path: string,
    readonly db: Database.Database,
    private readonly embedder: Embedder | undefined,
  ) {}

  /** Opens (or creates) the store at `path`, migrating an older schema. */
  static open(path: string, options: RagStoreOptions = {}): RagStore {
    const db = new Database(path);
    try {
      sqliteVec.load(db);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, path);
    } catch (error) {
      db.close();
      throw error;
    }
    return new RagStore(path, db, options.embedder);
  }

  /** The store's setting `key`, if set. */
  setting(key: string): string | undefined {
    return (
      this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined
    )?.value;
  }

  private hasVectors(): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'documents_vec'").get() !== undefined;
  }

  /** Checks the embedder against the one the store was built with, and makes the vector table on first use. */
  private bindEmbedder(dimension: number): void {
    const embedder = this.embedder!;
    const storedId = this.setting('embedder');
    const storedDimension = Number(this.setting('dimension') ?? Number.NaN);
    if (storedId !== undefined && storedDimension !== dimension)
      throw new EmbeddingDimensionError(
        embedder.id,
        dimension,
        storedDimension,
        `this store holds (${storedId})`,
      );
    if (storedId !== undefined && storedId !== embedder.id)
      throw new StoreSchemaError(
        `${this.path}: was embedded with "${storedId}", not "${embedder.id}"; use that embedder or a new store`,
      );
    if (storedId === undefined)
      this.db.transaction(() => {
        const set = this.db.prepare('INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)');
        set.run('embedder', embedder.id);
        set.run('dimension', String(dimension));
        this.db.exec(
          `CREATE VIRTUAL TABLE IF NOT EXISTS documents_vec USING vec0(embedding float[${dimension}] distance_metric=cosine)`,
        );
      })();
  }

  /**
   * Ingests files and folders: loads, chunks and embeds each changed file outside any transaction, then
   * replaces its chunks in one. A file that fails to load is reported and leaves the store as it was.
   */
  async ingest(inputs: readonly string[], options: IngestOptions): Promise<FileOutcome[]> {
    const { files, roots } = await walkFiles(inputs);
    const chunkSize = options.chunkSize ?? 512;
    const overlap = options.overlap ?? 50;
    const chunking = `${options.tokenizerName}:${chunkSize}:${overlap}`;
    const known = this.db.prepare('SELECT sha256, chunking FROM sources WHERE filename = ?');
    const outcomes: FileOutcome[] = [];
    const seen = new Set<string>();
    const report = (outcome: FileOutcome) => {
      outcomes.push(outcome);
      options.onFile?.(outcome, outcomes.length, files.length);
    };
    for (const { path } of files) {
      options.signal?.throwIfAborted();
      seen.add(path);
      let document: Awaited<ReturnType<typeof loadDocument>>;
      try {
        document = await loadDocument(path, options);
      } catch (error) {
        if (!(error instanceof DocumentLoadError)) throw error;
        report({ filename: path, status: 'failed', chunks: 0, bytes: 0, error: error.message });
        continue;
      }
      const previous = known.get(path) as { sha256: string; chunking: string } | undefined;
      if (previous?.sha256 === document.sha256 && previous.chunking === chunking) {
        report({ filename: path, status: 'unchanged', chunks: 0, bytes: document.bytes });
        continue;
      }
      const chunks: PreparedChunk[] = [];
      for (const part of document.parts)
        for (const chunk of chunkText(part.text, {
          ...options,
          chunkSize,
          overlap,
          markdown: document.format === 'markdown',
        }))
          chunks.push({
            text: chunk.text,
            metadata: {
              source: path,
              sha256: document.sha256,
              title: document.title,
              format: document.format,
              ...(part.page !== undefined ? { page: part.page } : {}),
              ...(part.record !== undefined ? { record: part.record } : {}),
              start: chunk.start,
              end: chunk.end,
              tokens: chunk.tokens,
              ...(chunk.headings.length ? { headings: chunk.headings } : {}),
            },
          });
      const vectors = await this.embedChunks(chunks, options.batchSize ?? 64, options.signal);
      this.replaceSource(path, document, chunking, chunks, vectors, previous !== undefined);
      report({
        filename: path,
        status: previous ? 'replaced' : 'added',
        chunks: chunks.length,
        bytes: document.bytes,
      });
    }
    if (options.cleanup ?? true)
      for (const root of roots) {
        const stored = this.db
          .prepare('SELECT filename FROM sources WHERE substr(filename, 1, ?) = ?')
          .all(root.length + 1, root + sep) as { filename: string }[];
        for (const { filename } of stored)
          if (!seen.has(filename)) {
            const chunks = this.removeSource(filename);
            report({ filename, status: 'removed', chunks, bytes: 0 });
          }
      }
    return outcomes;
  }

  private async embedChunks(
    chunks: readonly PreparedChunk[],
    batchSize: number,
    signal?: AbortSignal,
  ): Promise<Float32Array[] | undefined> {
    if (!this.embedder || chunks.length === 0) return undefined;
    const vectors: Float32Array[] = [];
    for (let i = 0; i < chunks.length; i += batchSize)
      vectors.push(
        ...(await this.embedder.embed(
          chunks.slice(i, i + batchSize).map((chunk) => chunk.text),
          signal,
        )),
      );
    this.bindEmbedder(vectors[0]!.length);
    return vectors;
  }

  /** One transaction: the file's old chunks and vectors out, the new ones and its record in. */
  private replaceSource(
    filename: string,
    document: { sha256: string; bytes: number; format: string; title: string },
    chunking: string,
    chunks: readonly PreparedChunk[],
    vectors: Float32Array[] | undefined,
    replacing: boolean,
  ): void {
    const insert = this.statement(
      'INSERT INTO documents(filename, chunk_index, chunk_text, metadata) VALUES (?, ?, ?, ?)',
    );
    const insertVector = vectors
      ? this.statement('INSERT INTO documents_vec(rowid, embedding) VALUES (?, ?)')
      : undefined;
    this.db.transaction(() => {
      if (replacing) this.deleteChunks(filename);
      chunks.forEach((chunk, index) => {
        const { lastInsertRowid } = insert.run(filename, index, chunk.text, JSON.stringify(chunk.metadata));
        const vector = vectors?.[index];
        if (insertVector && vector)
          insertVector.run(
            BigInt(lastInsertRowid),
            Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
          );
      });
      this.statement(
        'INSERT OR REPLACE INTO sources(filename, sha256, bytes, format, title, chunking, chunks) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(
        filename,
        document.sha256,
        document.bytes,
        document.format,
        document.title,
        chunking,
        chunks.length,
      );
    })();
  }

  private deleteChunks(filename: string): number {
    if (this.hasVectors()) {
      // By rowid, one at a time: vec0 has no index to serve "rowid IN (subquery)" and would scan the table.
      const ids = this.statement('SELECT id FROM documents WHERE filename = ?')
        .pluck()
        .all(filename) as number[];
      const remove = this.statement('DELETE FROM documents_vec WHERE rowid = ?');
      for (const id of ids) remove.run(BigInt(id));
    }
    return this.statement('DELETE FROM documents WHERE filename = ?').run(filename).changes;
  }

  private readonly statements = new Map<string, Database.Statement>();
  /** A prepared statement, prepared once per store. */
  private statement(sql: string): Database.Statement {
    const prepared = this.statements.get(sql) ?? this.db.prepare(sql);
    this.statements.set(sql, prepared);
    return prepared;
  }

  /** Removes a file's chunks, vectors and record in one transaction; returns how many chunks went. */
  removeSource(filename: string): number {
    return this.db.transaction(() => {
      const removed = this.deleteChunks(filename);
      this.db.prepare('DELETE FROM sources WHERE filename = ?').run(filename);
      return removed;
    })();
  }

  /**
   * BM25 (FTS5), vector KNN (sqlite-vec, cosine) or both fused by reciprocal rank fusion.
   *
   * @example
   * ```ts
   * const hits = await store.search('whale oil prices', { mode: 'hybrid', k: 5, filter: { metadata: { format: 'pdf' } } });
   * ```
   */
  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    const mode = options.mode ?? (this.embedder && this.hasVectors() ? 'hybrid' : 'bm25');
    let vector: Float32Array | undefined;
    if (mode !== 'bm25') {
      if (!this.embedder)
        throw new StoreSchemaError(`${mode} search needs an embedder: open the store with one`);
      if (!this.hasVectors())
        throw new StoreSchemaError(`${this.path}: holds no vectors yet; ingest with an embedder first`);
      [vector] = await this.embedder.embed([query]);
      this.bindEmbedder(vector!.length);
    }
    return searchStore(this.db, query, vector, { ...options, mode });
  }

  /** Counts of files, chunks, tokens and bytes, and the embedder. */
  stats(): StoreStats {
    const row = this.db
      .prepare(
        "SELECT count(*) AS chunks, coalesce(sum(json_extract(metadata, '$.tokens')), 0) AS tokens FROM documents",
      )
      .get() as { chunks: number; tokens: number };
    const sources = this.db
      .prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS bytes FROM sources')
      .get() as { n: number; bytes: number };
    const formats = this.db
      .prepare('SELECT format, count(*) AS n FROM sources GROUP BY format ORDER BY format')
      .all() as { format: string; n: number }[];
    const dimension = this.setting('dimension');
    let fileBytes = 0;
    for (const suffix of ['', '-wal'])
      try {
        fileBytes += statSync(this.path + suffix).size;
      } catch {}
    return {
      path: this.path,
      schemaVersion: SCHEMA_VERSION,
      sources: sources.n,
      chunks: row.chunks,
      sourceBytes: sources.bytes,
      tokens: row.tokens,
      embedder: this.setting('embedder'),
      dimension: dimension === undefined ? undefined : Number(dimension),
      fileBytes,
      byFormat: new Map(formats.map(({ format, n }) => [format, n])),
    };
  }

  /**
   * A compacted copy of the database at `target` (VACUUM INTO a temporary name, fsync, rename), readable
   * by any SQLite tool; sqlite-vec's tables need the extension there too.
   */
  exportTo(target: string): void {
    const destination = resolve(target);
    const temporary = `${destination}.partial-${process.pid}`;
    rmSync(temporary, { force: true });
    try {
      this.db.prepare('VACUUM INTO ?').run(temporary);
      const handle = openSync(temporary, 'r+');
      fsyncSync(handle);
      closeSync(handle);
      renameSync(temporary, destination);
      const directory = openSync(dirname(destination), 'r');
      fsyncSync(directory);
      closeSync(directory);
    } finally {
      rmSync(temporary, { force: true });
    }
  }

  /** Closes the database (checkpointing the WAL). */
  close(): void {
    this.db.close();
  }
}
