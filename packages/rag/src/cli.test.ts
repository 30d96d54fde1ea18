import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makePdf } from './testing/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-rag-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const tsx = createRequire(import.meta.url).resolve('tsx');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', tsx, join(import.meta.dirname, 'cli.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });

describe('lm-rag', () => {
  it('ingests a folder (table, exit 2 when a file failed), queries, reports stats and exports', async () => {
    mkdirSync(join(root, 'docs'));
    writeFileSync(
      join(root, 'docs', 'sea.md'),
      `# The sea\n\n${'Waves break on the rocks at high tide. '.repeat(40)}`,
    );
    writeFileSync(join(root, 'docs', 'log.pdf'), await makePdf(['The lighthouse keeper logs every storm.']));
    writeFileSync(join(root, 'docs', 'bad.docx'), 'not a zip');
    const ingest = cli('ingest', 'docs', '--db', 'rag.db', '--chunk', '64', '--overlap', '8');
    expect(ingest.status).toBe(2);
    expect(ingest.stdout).toMatch(/^file\s+status\s+chunks\s+KiB\n/);
    expect(ingest.stdout).toMatch(/docs\/sea\.md\s+added\s+\d+/);
    expect(ingest.stdout).toMatch(/errors:\n.*bad\.docx: not a readable zip archive/);
    expect(ingest.stdout).toMatch(
      /2 added, 0 replaced, 0 unchanged, 0 removed, 1 failed in [\d.]+ s; rag\.db: 2 files, \d+ chunks, embedder hashing-v1-256/,
    );
    const query = cli('query', '--db', 'rag.db', 'lighthouse storm', '--k', '2');
    expect(query.status).toBe(0);
    expect(query.stdout).toMatch(
      /^1\. docs\/log\.pdf p\. 1 #0 {2}score [\d.]+ \(bm25 #1, vector #1\)\n {3}The lighthouse keeper/,
    );
    const json = JSON.parse(cli('query', '--db', 'rag.db', 'waves', '--mode', 'bm25', '--json').stdout);
    expect(json[0].metadata).toMatchObject({ format: 'markdown', headings: ['The sea'] });
    const stats = cli('stats', '--db', 'rag.db');
    expect(stats.stdout).toMatch(/files\s+2\n\s+markdown\s+1\n\s+pdf\s+1\nchunks\s+\d+/);
    expect(cli('export', '--db', 'rag.db', '--to', 'copy.db').stdout).toBe('wrote copy.db\n');
    expect(existsSync(join(root, 'copy.db'))).toBe(true);
    const rerun = cli('ingest', 'docs', '--db', 'rag.db', '--chunk', '64', '--overlap', '8');
    expect(rerun.stdout).toMatch(/0 added, 0 replaced, 2 unchanged, 0 removed, 1 failed/);
  }, 60_000);

  it('says what is wrong, with exit code 1', () => {
    const missing = cli('query', '--db', 'nothing.db', 'x');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('lm-rag: nothing.db: no such database; ingest first\n');
    expect(cli('ingest', '--db', 'x.db').stderr).toBe('lm-rag: ingest: name at least one folder or file\n');
    expect(cli('ingest', 'docs', '--db', 'y.db', '--chunk', '10', '--overlap', '10').stderr).toBe(
      'lm-rag: overlap 10 must be below chunkSize 10\n',
    );
    expect(cli().status).toBe(1);
    expect(cli('--help').stdout).toContain('lm-rag ingest <folder|file>...');
  }, 60_000);
});
