#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { embedderFromSpec } from './embedder-spec.js';
import { RagError } from './errors.js';
import { type FileOutcome, RagStore } from './rag-store.js';
import type { SearchMode } from './search-types.js';

const USAGE = `lm-rag: your documents in a SQLite database, searchable by BM25, vectors or both.

  lm-rag ingest <folder|file>... --db rag.db [--chunk 512] [--overlap 50] [--tokenizer cl100k_base]
                                  [--embedder hashing|ollama:<model>|openai:<model>] [--no-cleanup]
  lm-rag query --db rag.db "question" [--k 5] [--mode hybrid|bm25|vector] [--file GLOB] [--json]
  lm-rag stats --db rag.db
  lm-rag export --db rag.db --to copy.db

--tokenizer: cl100k_base, o200k_base, or a tokenizer.json (ours or Hugging Face's).
Remote embedders read OLLAMA_HOST, OPENAI_BASE_URL and OPENAI_API_KEY.
Reads .txt .md .html .pdf .docx .jsonl (field "text"); unchanged files are skipped on re-ingest, changed
ones replaced, deleted ones removed.`;

async function loadTokenizer(name: string): Promise<BpeTokenizer> {
  if (name === 'cl100k_base' || name === 'o200k_base') return BpeTokenizer.fromTiktoken(name);
  if (!existsSync(name)) throw new RagError(`--tokenizer ${name}: not cl100k_base, o200k_base or a file`);
  const json = JSON.parse(readFileSync(name, 'utf8')) as { model?: unknown };
  return json.model !== undefined ? BpeTokenizer.fromHuggingFace(json) : BpeTokenizer.fromJSON(json);
}

/** A one-line progress bar on stderr when it is a terminal. */
function progress(done: number, total: number, started: number, file: string): void {
  if (!process.stderr.isTTY) return;
  const width = 24;
  const filled = total ? Math.round((done / total) * width) : width;
  const seconds = (performance.now() - started) / 1000;
  const eta = done ? (seconds / done) * (total - done) : 0;
  process.stderr.write(
    `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${seconds.toFixed(1)} s, ETA ${eta.toFixed(0)} s  ${file.slice(-40).padEnd(40)}`,
  );
  if (done === total) process.stderr.write('\n');
}

/** A path as the user would type it: relative below the working directory, absolute elsewhere. */
function shown(path: string): string {
  return path.startsWith(process.cwd() + sep) ? relative(process.cwd(), path) : path;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join('  '),
    )
    .join('\n');
}

function outcomeTable(outcomes: readonly FileOutcome[]): string {
  const rows = [['file', 'status', 'chunks', 'KiB']];
  for (const outcome of outcomes)
    rows.push([
      shown(outcome.filename),
      outcome.status,
      String(outcome.chunks),
      (outcome.bytes / 1024).toFixed(1),
    ]);
  const errors = outcomes.filter((outcome) => outcome.error).map((outcome) => `  ${outcome.error}`);
  return table(rows) + (errors.length ? `\n\nerrors:\n${errors.join('\n')}` : '');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      chunk: { type: 'string', default: '512' },
      overlap: { type: 'string', default: '50' },
      tokenizer: { type: 'string', default: 'cl100k_base' },
      embedder: { type: 'string' },
      'no-cleanup': { type: 'boolean', default: false },
      k: { type: 'string', default: '5' },
      mode: { type: 'string' },
      file: { type: 'string' },
      json: { type: 'boolean', default: false },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 1;
  }
  if (!values.db) throw new RagError('--db is required');
  const existing = existsSync(values.db) ? RagStore.open(values.db) : undefined;
  const storedEmbedder = existing?.setting('embedder');
  existing?.close();
  if (command === 'ingest') {
    if (rest.length === 0) throw new RagError('ingest: name at least one folder or file');
    const spec = values.embedder ?? storedEmbedder ?? 'hashing';
    const store = RagStore.open(values.db, { embedder: embedderFromSpec(spec) });
    try {
      const tokenizer = await loadTokenizer(values.tokenizer);
      const started = performance.now();
      const outcomes = await store.ingest(rest, {
        tokenizer,
        tokenizerName: values.tokenizer,
        chunkSize: Number(values.chunk),
        overlap: Number(values.overlap),
        cleanup: !values['no-cleanup'],
        onFile: (outcome, done, total) => progress(done, total, started, outcome.filename),
      });
      console.log(outcomeTable(outcomes));
      const count = (status: FileOutcome['status']) =>
        outcomes.filter((outcome) => outcome.status === status).length;
      const stats = store.stats();
      console.log(
        `\n${count('added')} added, ${count('replaced')} replaced, ${count('unchanged')} unchanged, ${count('removed')} removed, ${count('failed')} failed in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
          `${values.db}: ${stats.sources} files, ${stats.chunks} chunks, embedder ${stats.embedder ?? 'none'}`,
      );
      return count('failed') ? 2 : 0;
    } finally {
      store.close();
    }
  }
  if (!existing) throw new RagError(`${values.db}: no such database; ingest first`);
  if (command === 'query') {
    const question = rest.join(' ');
    if (!question) throw new RagError('query: give a question');
    const store = RagStore.open(
      values.db,
      storedEmbedder ? { embedder: embedderFromSpec(storedEmbedder) } : {},
    );
    try {
      const hits = await store.search(question, {
        k: Number(values.k),
        ...(values.mode ? { mode: values.mode as SearchMode } : {}),
        ...(values.file ? { filter: { filename: values.file } } : {}),
      });
      if (values.json) console.log(JSON.stringify(hits, null, 2));
      else
        for (const [i, hit] of hits.entries()) {
          const where = hit.metadata.page !== undefined ? ` p. ${hit.metadata.page}` : '';
          const ranks = Object.entries(hit.ranks)
            .map(([list, rank]) => `${list} #${rank}`)
            .join(', ');
          console.log(
            `${i + 1}. ${shown(hit.filename)}${where} #${hit.chunkIndex}  score ${hit.score.toFixed(4)} (${ranks})`,
          );
          console.log(`   ${hit.text.replace(/\s+/g, ' ').trim().slice(0, 160)}`);
        }
      return 0;
    } finally {
      store.close();
    }
  }
  const store = RagStore.open(values.db);
  try {
    if (command === 'stats') {
      const stats = store.stats();
      console.log(
        table([
          ['database', stats.path],
          ['schema version', String(stats.schemaVersion)],
          ['files', String(stats.sources)],
          ...[...stats.byFormat].map(([format, n]) => [`  ${format}`, String(n)]),
          ['chunks', String(stats.chunks)],
          ['tokens', String(stats.tokens)],
          ['source MiB', (stats.sourceBytes / 2 ** 20).toFixed(2)],
          ['database MiB', (stats.fileBytes / 2 ** 20).toFixed(2)],
          [
            'embedder',
            `${stats.embedder ?? 'none'}${stats.dimension ? ` (${stats.dimension} dimensions)` : ''}`,
          ],
        ]),
      );
      return 0;
    }
    if (command === 'export') {
      if (!values.to) throw new RagError('export: --to is required');
      store.exportTo(values.to);
      console.log(`wrote ${values.to}`);
      return 0;
    }
  } finally {
    store.close();
  }
  throw new RagError(`unknown command "${command}"\n\n${USAGE}`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof RagError ? `lm-rag: ${error.message}` : error);
    process.exitCode = 1;
  },
);
