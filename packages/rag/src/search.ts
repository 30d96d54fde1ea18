import type Database from 'better-sqlite3';
import { StoreSchemaError } from './errors.js';
import type { ChunkMetadata, SearchFilter, SearchHit, SearchMode, SearchOptions } from './search-types.js';

interface Row {
  id: number;
  filename: string;
  chunk_index: number;
  chunk_text: string;
  metadata: string;
  score: number;
}

const METADATA_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The WHERE clause and parameters of a filter over `documents d`. */
function filterClause(filter: SearchFilter | undefined): { sql: string; parameters: (string | number)[] } {
  const clauses: string[] = [];
  const parameters: (string | number)[] = [];
  if (filter?.filename !== undefined) {
    clauses.push('d.filename GLOB ?');
    parameters.push(filter.filename);
  }
  for (const [key, value] of Object.entries(filter?.metadata ?? {})) {
    if (!METADATA_KEY.test(key))
      throw new StoreSchemaError(`metadata filter key "${key}" is not a plain field name`);
    clauses.push(`json_extract(d.metadata, '$.${key}') = ?`);
    parameters.push(typeof value === 'boolean' ? Number(value) : value);
  }
  return { sql: clauses.length ? `AND ${clauses.join(' AND ')}` : '', parameters };
}

// The most frequent English function words: in an OR query they match nearly every chunk, cost most of the
// ranking time and add nothing to BM25's order. A query made only of them keeps them.
// biome-ignore format: a word list
const STOP_WORDS = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'from', 'had', 'has', 'have', 'he', 'her', 'his',
  'i', 'in', 'is', 'it', 'its', 'not', 'of', 'on', 'or', 'our', 'she', 'so', 'that', 'the', 'their', 'them', 'there',
  'they', 'this', 'to', 'was', 'we', 'were', 'which', 'will', 'with', 'would', 'you',
]);

/** An FTS5 query that matches any of the query's words (each quoted, so no FTS5 syntax gets through). */
export function ftsQuery(query: string): string | undefined {
  const words = [...new Set(query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  if (words.length === 0) return undefined;
  const content = words.filter((word) => !STOP_WORDS.has(word));
  return (content.length ? content : words).map((word) => `"${word}"`).join(' OR ');
}

function bm25(db: Database.Database, query: string, limit: number, filter: SearchFilter | undefined): Row[] {
  const match = ftsQuery(query);
  if (!match) return [];
  const where = filterClause(filter);
  return db
    .prepare(
      `SELECT d.id, d.filename, d.chunk_index, d.chunk_text, d.metadata, -bm25(documents_fts) AS score
       FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid
       WHERE documents_fts MATCH ? ${where.sql}
       ORDER BY bm25(documents_fts) LIMIT ?`,
    )
    .all(match, ...where.parameters, limit) as Row[];
}

function nearest(
  db: Database.Database,
  vector: Float32Array,
  limit: number,
  filter: SearchFilter | undefined,
): Row[] {
  const blob = Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
  if (!filter?.filename && !filter?.metadata) {
    // sqlite-vec's KNN over the whole table.
    return db
      .prepare(
        `SELECT d.id, d.filename, d.chunk_index, d.chunk_text, d.metadata, 1 - v.distance AS score
         FROM (SELECT rowid, distance FROM documents_vec WHERE embedding MATCH ? AND k = ?) v
         JOIN documents d ON d.id = v.rowid ORDER BY v.distance`,
      )
      .all(blob, limit) as Row[];
  }
  // With a filter: exact distances over the matching rows only (a KNN first would miss filtered-out ones).
  const where = filterClause(filter);
  return db
    .prepare(
      `SELECT d.id, d.filename, d.chunk_index, d.chunk_text, d.metadata,
              1 - vec_distance_cosine(v.embedding, ?) AS score
       FROM documents d JOIN documents_vec v ON v.rowid = d.id
       WHERE 1 ${where.sql} ORDER BY score DESC LIMIT ?`,
    )
    .all(blob, ...where.parameters, limit) as Row[];
}

const hit = (row: Row, score: number, ranks: SearchHit['ranks']): SearchHit => ({
  id: row.id,
  filename: row.filename,
  chunkIndex: row.chunk_index,
  text: row.chunk_text,
  score,
  ranks,
  metadata: JSON.parse(row.metadata) as ChunkMetadata,
});

/** The search behind {@link RagStore.search}: `vector` is the query's embedding for vector and hybrid modes. */
export function searchStore(
  db: Database.Database,
  query: string,
  vector: Float32Array | undefined,
  options: SearchOptions & { mode: SearchMode },
): SearchHit[] {
  const k = options.k ?? 5;
  if (!Number.isInteger(k) || k < 1 || k > 10_000)
    throw new RangeError(`k ${k} must be an integer in [1, 10,000]`);
  if (options.mode === 'bm25')
    return bm25(db, query, k, options.filter).map((row, i) => hit(row, row.score, { bm25: i + 1 }));
  if (options.mode === 'vector')
    return nearest(db, vector!, k, options.filter).map((row, i) => hit(row, row.score, { vector: i + 1 }));
  // Reciprocal rank fusion over deeper lists than k, so a chunk ranked well by one list still counts.
  const depth = Math.max(4 * k, 20);
  const rrfK = options.rrfK ?? 60;
  const weights = { bm25: options.weights?.bm25 ?? 1, vector: options.weights?.vector ?? 1 };
  const fused = new Map<number, { row: Row; score: number; ranks: { bm25?: number; vector?: number } }>();
  const add = (rows: Row[], list: 'bm25' | 'vector') =>
    rows.forEach((row, i) => {
      const entry = fused.get(row.id) ?? { row, score: 0, ranks: {} };
      entry.score += weights[list] / (rrfK + i + 1);
      entry.ranks[list] = i + 1;
      fused.set(row.id, entry);
    });
  add(bm25(db, query, depth, options.filter), 'bm25');
  add(nearest(db, vector!, depth, options.filter), 'vector');
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.row.id - b.row.id)
    .slice(0, k)
    .map((entry) => hit(entry.row, entry.score, entry.ranks));
}
