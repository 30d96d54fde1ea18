import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingDimensionError, StoreSchemaError } from './errors.js';
import { HashingEmbedder } from './hashing-embedder.js';
import { type IngestOptions, RagStore } from './rag-store.js';
import { makeDocx, makePdf } from './testing/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-rag-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let tokenizer: BpeTokenizer;
let options: IngestOptions;
beforeAll(async () => {
  tokenizer = await BpeTokenizer.fromTiktoken('cl100k_base');
  options = { tokenizer, tokenizerName: 'cl100k_base', chunkSize: 64, overlap: 8 };
});

/** Every source's chunks are all there, FTS and vectors agree with documents, and SQLite says ok. */
function checkWhole(path: string): { sources: number; chunks: number } {
  const db = new Database(path);
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const sources = db.prepare('SELECT filename, chunks FROM sources').all() as {
      filename: string;
      chunks: number;
    }[];
    for (const source of sources) {
      const rows = db
        .prepare('SELECT chunk_index FROM documents WHERE filename = ? ORDER BY chunk_index')
        .all(source.filename) as { chunk_index: number }[];
      expect(rows.map((row) => row.chunk_index)).toEqual(Array.from({ length: source.chunks }, (_, i) => i));
    }
    const orphans = db
      .prepare('SELECT count(*) AS n FROM documents WHERE filename NOT IN (SELECT filename FROM sources)')
      .get() as { n: number };
    expect(orphans.n).toBe(0);
    const chunks = (db.prepare('SELECT count(*) AS n FROM documents').get() as { n: number }).n;
    db.exec("INSERT INTO documents_fts(documents_fts) VALUES ('integrity-check')"); // throws if FTS is out of step
    return { sources: sources.length, chunks };
  } finally {
    db.close();
  }
}

async function mixedFolder(name: string): Promise<string> {
  const folder = join(root, name);
  mkdirSync(join(folder, 'sub'), { recursive: true });
  writeFileSync(join(folder, 'whales.txt'), 'The sperm whale dives deep for squid. '.repeat(30));
  writeFileSync(
    join(folder, 'guide.md'),
    `# Guide\n\n## Harbour\n\n${'Ships anchor in the harbour at night. '.repeat(20)}`,
  );
  writeFileSync(
    join(folder, 'sub', 'page.html'),
    '<title>Weather</title><p>Storms come from the west in winter.</p>',
  );
  writeFileSync(
    join(folder, 'sub', 'log.pdf'),
    await makePdf(['Day one: calm seas.', 'Day two: a gale from the north.'], { title: 'Log' }),
  );
  writeFileSync(
    join(folder, 'notes.docx'),
    await makeDocx(['Provisions: biscuits, water and rum.'], 'Notes'),
  );
  writeFileSync(join(folder, 'broken.pdf'), 'not a pdf at all');
  writeFileSync(join(folder, '.hidden.txt'), 'skipped');
  return folder;
}

describe('RagStore', () => {
  it('ingests a mixed folder, then re-ingests incrementally: unchanged skipped, changed replaced, deleted removed', async () => {
    const folder = await mixedFolder('mixed');
    const path = join(root, 'mixed.db');
    const store = RagStore.open(path, { embedder: new HashingEmbedder(64) });
    const first = await store.ingest([folder], options);
    expect(first.map((outcome) => [outcome.filename.slice(folder.length + 1), outcome.status])).toEqual([
      ['broken.pdf', 'failed'],
      ['guide.md', 'added'],
      ['notes.docx', 'added'],
      ['sub/log.pdf', 'added'],
      ['sub/page.html', 'added'],
      ['whales.txt', 'added'],
    ]);
    expect(first[0]!.error).toMatch(/broken\.pdf: not a readable PDF/);
    const whole = checkWhole(path);
    expect(whole.sources).toBe(5);
    // The users' table, exactly.
    const columns = store.db
      .prepare('SELECT name, type, "notnull", pk FROM pragma_table_info(\'documents\')')
      .all();
    expect(columns).toEqual([
      { name: 'id', type: 'INTEGER', notnull: 0, pk: 1 },
      { name: 'filename', type: 'TEXT', notnull: 1, pk: 0 },
      { name: 'chunk_index', type: 'INTEGER', notnull: 0, pk: 0 },
      { name: 'chunk_text', type: 'TEXT', notnull: 1, pk: 0 },
      { name: 'metadata', type: 'JSON', notnull: 0, pk: 0 },
      { name: 'created_at', type: 'TIMESTAMP', notnull: 0, pk: 0 },
    ]);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('user_version', { simple: true })).toBe(1);
    const pdfPage = store.db
      .prepare("SELECT metadata FROM documents WHERE chunk_text LIKE '%gale%'")
      .get() as { metadata: string };
    expect(JSON.parse(pdfPage.metadata)).toMatchObject({
      format: 'pdf',
      page: 2,
      title: 'Log',
      start: 0,
      tokens: 10,
    });
    const guide = store.db
      .prepare("SELECT metadata FROM documents WHERE filename LIKE '%guide.md' AND chunk_index = 1")
      .get() as { metadata: string };
    expect(JSON.parse(guide.metadata).headings).toEqual(['Guide', 'Harbour']);

    const again = await store.ingest([folder], options);
    expect(again.filter((outcome) => outcome.status === 'unchanged').length).toBe(5);
    expect(checkWhole(path)).toEqual(whole);

    writeFileSync(join(folder, 'whales.txt'), 'A short new text about whales.');
    unlinkSync(join(folder, 'sub', 'page.html'));
    const before = store.db.prepare("SELECT id FROM documents WHERE filename LIKE '%whales.txt'").all();
    const third = await store.ingest([folder], options);
    expect(
      third
        .filter((outcome) => outcome.status !== 'unchanged' && outcome.status !== 'failed')
        .map((outcome) => [outcome.filename.slice(folder.length + 1), outcome.status]),
    ).toEqual([
      ['whales.txt', 'replaced'],
      ['sub/page.html', 'removed'],
    ]);
    const after = store.db
      .prepare("SELECT id, chunk_text FROM documents WHERE filename LIKE '%whales.txt'")
      .all() as { id: number }[];
    expect(after).toEqual([{ id: expect.any(Number), chunk_text: 'A short new text about whales.' }]);
    expect(before.some((row) => (row as { id: number }).id === after[0]!.id)).toBe(false);
    expect(checkWhole(path)).toEqual({ sources: 4, chunks: whole.chunks - before.length + 1 - 1 });
    const vectors = store.db.prepare('SELECT count(*) AS n FROM documents_vec').get() as { n: number };
    expect(vectors.n).toBe(whole.chunks - before.length);
    store.close();
  });

  it('searches by BM25, vectors and hybrid RRF, with filename and metadata filters', async () => {
    const folder = await mixedFolder('search');
    const store = RagStore.open(join(root, 'search.db'), { embedder: new HashingEmbedder(64) });
    await store.ingest([folder], options);
    const bm25 = await store.search('gale north', { mode: 'bm25', k: 3 });
    expect(bm25[0]!.text).toContain('gale from the north');
    expect(bm25[0]!.ranks).toEqual({ bm25: 1 });
    const vector = await store.search('a gale from the north', { mode: 'vector', k: 3 });
    expect(vector[0]!.text).toContain('gale');
    expect(vector[0]!.score).toBeGreaterThan(0.5);
    const hybrid = await store.search('harbour ships anchor', { k: 2 });
    expect(hybrid[0]!.metadata.source).toContain('guide.md');
    // RRF with k = 60: ranks r₁ (BM25) and r₂ (vector) give 1/(60 + r₁) + 1/(60 + r₂).
    const { bm25: first, vector: second } = hybrid[0]!.ranks;
    expect(first! + second!).toBeLessThanOrEqual(3);
    expect(hybrid[0]!.score).toBeCloseTo(1 / (60 + first!) + 1 / (60 + second!), 12);
    const onlyPdf = await store.search('whale harbour gale', {
      k: 5,
      filter: { metadata: { format: 'pdf' } },
    });
    expect(onlyPdf.every((hit) => hit.metadata.format === 'pdf')).toBe(true);
    const onlyPdfVector = await store.search('whale harbour gale', {
      mode: 'vector',
      k: 5,
      filter: { filename: '*/sub/*' },
    });
    expect(onlyPdfVector.every((hit) => hit.filename.includes('/sub/'))).toBe(true);
    expect(await store.search('"; DROP TABLE documents; --', { mode: 'bm25' })).toEqual(expect.any(Array)); // quoted, harmless
    await expect(store.search('x', { filter: { metadata: { "a') OR 1=1 --": 1 } } })).rejects.toThrow(
      StoreSchemaError,
    );
    store.close();
  });

  it('refuses another embedder or dimension with a clear error and leaves the store unchanged', async () => {
    const folder = await mixedFolder('dimension');
    const path = join(root, 'dimension.db');
    const first = RagStore.open(path, { embedder: new HashingEmbedder(64) });
    await first.ingest([folder], options);
    first.close();
    const whole = checkWhole(path);
    writeFileSync(join(folder, 'new.txt'), 'brand new file');
    const second = RagStore.open(path, { embedder: new HashingEmbedder(128) });
    await expect(second.ingest([folder], options)).rejects.toThrow(
      new EmbeddingDimensionError('hashing-v1-128', 128, 64, 'this store holds (hashing-v1-64)'),
    );
    second.close();
    expect(checkWhole(path)).toEqual(whole);
  });

  it('exports a compacted copy with VACUUM INTO that opens with the same rows; refuses foreign and newer files', async () => {
    const folder = await mixedFolder('export');
    const store = RagStore.open(join(root, 'export.db'), { embedder: new HashingEmbedder(64) });
    await store.ingest([folder], options);
    const copy = join(root, 'copy.db');
    store.exportTo(copy);
    expect(checkWhole(copy)).toEqual(checkWhole(join(root, 'export.db')));
    const reopened = RagStore.open(copy, { embedder: new HashingEmbedder(64) });
    expect((await reopened.search('gale', { k: 1 }))[0]!.text).toContain('gale');
    expect(reopened.stats()).toMatchObject({ sources: 5, embedder: 'hashing-v1-64', dimension: 64 });
    reopened.close();
    store.close();
    const foreign = new Database(join(root, 'foreign.db'));
    foreign.exec('CREATE TABLE t(x)');
    foreign.close();
    expect(() => RagStore.open(join(root, 'foreign.db'))).toThrow(/not a RAG store/);
    const newer = new Database(join(root, 'newer.db'));
    newer.pragma('user_version = 9');
    newer.close();
    expect(() => RagStore.open(join(root, 'newer.db'))).toThrow(
      "schema version 9 is newer than this package's 1",
    );
  });

  it('kill -9 during ingest: the database opens and holds only whole documents; a rerun finishes the rest', async () => {
    const folder = join(root, 'many');
    mkdirSync(folder);
    for (let i = 0; i < 300; i++)
      writeFileSync(
        join(folder, `doc-${String(i).padStart(3, '0')}.txt`),
        `Document ${i}. ${'Words about the sea and ships. '.repeat(40)}`,
      );
    const path = join(root, 'killed.db');
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const child = spawn(
      process.execPath,
      ['--import', tsx, join(import.meta.dirname, 'testing', 'ingest-child.ts'), path, folder],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let done = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (data: Buffer) => {
        done += data
          .toString()
          .split('\n')
          .filter((line) => line.startsWith('added')).length;
        if (done >= 40 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    await new Promise((resolve) => child.on('exit', resolve).exitCode !== null && resolve(undefined));
    expect(child.signalCode).toBe('SIGKILL');
    const wal = statSync(`${path}-wal`).size; // the killed writer never checkpointed
    const partial = checkWhole(path);
    expect(partial.sources).toBeGreaterThanOrEqual(40);
    expect(partial.sources).toBeLessThan(300);
    console.log(
      `killed after ${done} files reported; the database holds ${partial.sources} whole files (${partial.chunks} chunks), WAL ${wal} bytes`,
    );
    const store = RagStore.open(path, { embedder: new HashingEmbedder(64) });
    const rerun = await store.ingest([folder], { ...options, chunkSize: 32, overlap: 4 });
    expect(rerun.filter((outcome) => outcome.status === 'unchanged').length).toBe(partial.sources);
    expect(rerun.filter((outcome) => outcome.status === 'added').length).toBe(300 - partial.sources);
    store.close();
    expect(checkWhole(path).sources).toBe(300);
  }, 120_000);
});
