import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { type CorpusDocument, htmlToText, prepare, readDocuments } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-corpus-read-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const collect = async (stream: AsyncIterable<CorpusDocument>) => {
  const out: CorpusDocument[] = [];
  for await (const item of stream) out.push(item);
  return out;
};

describe('readDocuments', () => {
  const folder = join(root, 'notes');
  mkdirSync(join(folder, 'book'), { recursive: true });
  writeFileSync(join(folder, 'a.txt'), '\ufeffFirst line\r\nsecond line\r\n');
  writeFileSync(join(folder, 'book', 'chapter.md'), '# Chapter\n\nCall me Ishmael.');
  writeFileSync(
    join(folder, 'page.html'),
    '<html><style>p{}</style><p>Fish &amp; chips</p><script>x()</script><p>2&#8364;</p></html>',
  );
  writeFileSync(
    join(folder, 'lines.jsonl'),
    [
      '{"text": "one", "id": "x1", "group": "g"}',
      'not json',
      '{"body": "no text field"}',
      '',
      '{"text": "two", "__proto__": 1}',
    ].join('\n'),
  );
  writeFileSync(join(folder, 'packed.txt.gz'), gzipSync('gzipped text'));
  writeFileSync(join(folder, 'bomb.txt.gz'), gzipSync(Buffer.alloc(8 * 2 ** 20))); // 8 MiB of zeros, ~8 KB packed
  writeFileSync(join(folder, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b])); // "café ok" in windows-1252
  writeFileSync(join(folder, 'ignored.bin'), 'binary');

  it('reads every supported file under a folder, with reasons for what it skips', async () => {
    const skipped: string[] = [];
    const invalid: string[] = [];
    const documents = await collect(
      readDocuments([folder], {
        maxFileBytes: 4 * 2 ** 20,
        onSkip: (where, reason) => skipped.push(`${where.replace(root, '')}: ${reason}`),
        onInvalidUtf8: (path, count) => invalid.push(`${path.replace(root, '')}: ${count}`),
      }),
    );
    expect(documents.map(({ id, source, group, text }) => [id, source, group, text])).toEqual([
      ['a.txt', 'notes', 'a.txt', 'First line\r\nsecond line\r\n'],
      ['book/chapter.md', 'notes', 'book', '# Chapter\n\nCall me Ishmael.'],
      ['latin1.txt', 'notes', 'latin1.txt', 'caf\ufffd ok'],
      ['x1', 'notes', 'g', 'one'],
      ['lines.jsonl:5', 'notes', 'lines.jsonl', 'two'],
      ['packed.txt.gz', 'notes', 'packed.txt.gz', 'gzipped text'],
      ['page.html', 'notes', 'page.html', 'Fish & chips\n\n2€'],
    ]);
    expect(skipped).toEqual([
      expect.stringMatching(/^\/notes\/bomb\.txt\.gz: .*4194304/),
      expect.stringMatching(/^lines\.jsonl:2: not JSON/),
      'lines.jsonl:3: no string field "text"',
    ]);
    expect(invalid).toEqual(['/notes/latin1.txt: 1']);
  });

  it('drops a line far beyond the document cap with a reason, without failing', async () => {
    const big = join(root, 'big.jsonl');
    writeFileSync(big, `${JSON.stringify({ text: 'x'.repeat(50 * 2 ** 20) })}\n{"text": "small"}\n`);
    const skipped: string[] = [];
    const documents = await collect(
      readDocuments([big], {
        maxDocumentBytes: 4 * 2 ** 20,
        onSkip: (where, reason) => skipped.push(`${where}: ${reason}`),
      }),
    );
    expect(documents.map((document) => document.text)).toEqual(['small']);
    expect(skipped).toEqual([`big.jsonl:1: line of ${50 * 2 ** 20 + 11} bytes exceeds ${4 * 2 ** 20}`]);
  });

  it('expands globs: ** for folders, * within a name, {a,b} alternatives', async () => {
    const ids = async (pattern: string) =>
      (await collect(readDocuments([pattern]))).map((document) => document.id);
    expect(await ids(`${folder}/**/*.md`)).toEqual(['book/chapter.md']);
    expect(await ids(`${folder}/*.{txt,md}`)).toEqual(['a.txt', 'latin1.txt']);
    expect(await ids(`${folder}/**/*.{txt,md}`)).toEqual(['a.txt', 'book/chapter.md', 'latin1.txt']);
    const [document] = await collect(readDocuments([`${folder}/book/*.md`]));
    expect(document).toMatchObject({ id: 'chapter.md', source: 'book', group: 'chapter.md' });
  });

  it('streams a gzipped JSONL bomb: the lines before the cap, then a reason', async () => {
    const bomb = join(root, 'bomb.jsonl.gz');
    // Two real lines, then 64 MiB of newlines (about 64 KB gzipped).
    writeFileSync(
      bomb,
      gzipSync(Buffer.concat([Buffer.from('{"text":"a"}\n{"text":"b"}\n'), Buffer.alloc(64 * 2 ** 20, 10)])),
    );
    const skipped: string[] = [];
    const documents = await collect(
      readDocuments([bomb], {
        maxFileBytes: 2 ** 20,
        onSkip: (where, reason) => skipped.push(`${where.replace(root, '')}: ${reason}`),
      }),
    );
    expect(documents.map((document) => document.text)).toEqual(['a', 'b']);
    expect(skipped).toEqual(['/bomb.jsonl.gz: more than 1048576 bytes after decompression']);
  });

  it('normalises BOM, CRLF and NUL when followed by prepare', async () => {
    writeFileSync(join(root, 'messy.txt'), '\ufeffa\u0000b\r\nc');
    const [document] = await collect(prepare(readDocuments([join(root, 'messy.txt')])));
    expect(document!.text).toBe('ab\nc');
  });

  it('turns HTML into text', () => {
    expect(htmlToText('<p>Fish &amp; chips</p><script>x()</script><p>2&#8364;</p>')).toBe(
      'Fish & chips\n\n2€',
    );
  });
});
