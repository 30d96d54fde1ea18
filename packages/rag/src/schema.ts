import type Database from 'better-sqlite3';
import { StoreSchemaError } from './errors.js';

/** The schema version this package writes (PRAGMA user_version). */
export const SCHEMA_VERSION = 1;

/**
 * Migrations, index i taking the database from version i to i + 1. The `documents` table has exactly the
 * columns users' SQLite tools expect; `sources` records what each file was when it was ingested; FTS5 keeps
 * an external-content index of chunk_text in step through triggers. The sqlite-vec table is made on the
 * first ingest, when the embedder's dimension is known.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE documents(
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     filename TEXT NOT NULL,
     chunk_index INTEGER,
     chunk_text TEXT NOT NULL,
     metadata JSON,
     created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
   );
   CREATE INDEX documents_by_file ON documents(filename, chunk_index);
   CREATE TABLE sources(
     filename TEXT PRIMARY KEY,
     sha256 TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     format TEXT NOT NULL,
     title TEXT,
     chunking TEXT NOT NULL,
     chunks INTEGER NOT NULL,
     ingested_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
   );
   CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE VIRTUAL TABLE documents_fts USING fts5(
     chunk_text, content='documents', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
   );
   CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
     INSERT INTO documents_fts(rowid, chunk_text) VALUES (new.id, new.chunk_text);
   END;
   CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
     INSERT INTO documents_fts(documents_fts, rowid, chunk_text) VALUES ('delete', old.id, old.chunk_text);
   END;
   CREATE TRIGGER documents_fts_update AFTER UPDATE OF chunk_text ON documents BEGIN
     INSERT INTO documents_fts(documents_fts, rowid, chunk_text) VALUES ('delete', old.id, old.chunk_text);
     INSERT INTO documents_fts(rowid, chunk_text) VALUES (new.id, new.chunk_text);
   END;`,
];

/** Brings `db` to {@link SCHEMA_VERSION}, each step in its own transaction; refuses newer or foreign files. */
export function migrate(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION)
    throw new StoreSchemaError(
      `${path}: schema version ${version} is newer than this package's ${SCHEMA_VERSION}`,
    );
  if (version === 0) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
      n: number;
    };
    if (tables.n > 0)
      throw new StoreSchemaError(`${path}: has tables but no lm-stack schema version; not a RAG store`);
  }
  for (let step = version; step < SCHEMA_VERSION; step++)
    db.transaction(() => {
      db.exec(MIGRATIONS[step]!);
      db.pragma(`user_version = ${step + 1}`);
    })();
}
