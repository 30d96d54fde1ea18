import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CorruptDocumentError,
  EncryptedDocumentError,
  InvalidUtf8Error,
  LimitExceededError,
  UnsupportedFileTypeError,
} from './errors.js';
import { loadDocument } from './load-document.js';
import { makeDocx, makePdf, makeZip } from './testing/fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-rag-load-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = (name: string, data: string | Uint8Array) => {
  const path = join(root, name);
  writeFileSync(path, data);
  return path;
};

describe('loadDocument', () => {
  it('reads a PDF written by pdfkit page by page, with its title and sha256', async () => {
    const bytes = await makePdf(['The whale surfaced at dawn.', 'Page two: the ship turned north.'], {
      title: 'Log',
    });
    const document = await loadDocument(file('log.pdf', bytes));
    expect(document.format).toBe('pdf');
    expect(document.title).toBe('Log');
    expect(document.parts).toEqual([
      { text: 'The whale surfaced at dawn.', page: 1 },
      { text: 'Page two: the ship turned north.', page: 2 },
    ]);
    expect(document.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(document.bytes).toBe(bytes.length);
  });

  it('reads a DOCX written by the docx package, title from docProps/core.xml', async () => {
    const bytes = await makeDocx(['First paragraph about whales.', 'Second one & more.'], 'Whales & ships');
    const document = await loadDocument(file('notes.docx', bytes));
    expect(document.title).toBe('Whales & ships');
    expect(document.parts).toEqual([{ text: 'First paragraph about whales.\n\nSecond one & more.' }]);
  });

  it('reads HTML (title, blocks as paragraphs, no scripts), Markdown (first heading) and JSONL records', async () => {
    const html = await loadDocument(
      file(
        'page.html',
        '<html><head><title>Docs</title><style>p{}</style></head><body><h1>Intro</h1><p>One <b>two</b>.</p><script>alert(1)</script><p>Three</p></body></html>',
      ),
    );
    expect(html.title).toBe('Docs');
    expect(html.parts).toEqual([{ text: 'Intro\n\nOne two.\n\nThree' }]);
    const markdown = await loadDocument(file('guide.md', 'Some intro\n\n## Install it\n\ntext'));
    expect(markdown.title).toBe('Install it');
    expect(markdown.parts).toEqual([{ text: 'Some intro\n\n## Install it\n\ntext' }]);
    const jsonl = await loadDocument(file('data.jsonl', '{"text":"a"}\n\n{"text":"b","id":2}\n'));
    expect(jsonl.parts).toEqual([
      { text: 'a', record: 1 },
      { text: 'b', record: 3 },
    ]);
    expect((await loadDocument(file('empty.txt', ''))).parts).toEqual([]);
  });

  it('refuses hostile files with typed errors that name the file', async () => {
    const pdf = await makePdf(['secret text'], { title: 'x' });
    await expect(loadDocument(file('cut.pdf', pdf.subarray(0, 300)))).rejects.toThrow(CorruptDocumentError);
    await expect(
      loadDocument(file('locked.pdf', await makePdf(['secret'], { password: 'pw' }))),
    ).rejects.toThrow(EncryptedDocumentError);
    await expect(loadDocument(file('zero.pdf', ''))).rejects.toThrow(/zero\.pdf: not a readable PDF/);
    // An encrypted Office file is an OLE compound file (D0 CF 11 E0), not a zip.
    await expect(
      loadDocument(file('locked.docx', Uint8Array.of(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1))),
    ).rejects.toThrow(EncryptedDocumentError);
    await expect(loadDocument(file('latin1.txt', Uint8Array.of(0x68, 0x69, 0xe9, 0x21)))).rejects.toThrow(
      new InvalidUtf8Error(join(root, 'latin1.txt'), 2),
    );
    await expect(loadDocument(file('image.png', 'x'))).rejects.toThrow(UnsupportedFileTypeError);
    await expect(loadDocument(file('bad.jsonl', '{"text":"a"}\nnot json\n'))).rejects.toThrow(
      /line 2 is not JSON/,
    );
    await expect(loadDocument(file('nofield.jsonl', '{"body":"a"}\n'))).rejects.toThrow(
      /line 1 has no string field "text"/,
    );
  });

  it('refuses a 100 MB text before reading it (a sparse file: no disk used)', async () => {
    const path = file('huge.txt', '');
    truncateSync(path, 100 * 1024 * 1024);
    await expect(loadDocument(path)).rejects.toThrow(
      new LimitExceededError(path, 'file size', 104_857_600, 67_108_864),
    );
  });

  it('refuses zip bombs: a ratio over 200, a header that lies about the size, too many entries', async () => {
    // 64 MiB of spaces deflate to ~64 KiB: a ratio of ~1000.
    const bomb = makeZip([{ name: 'word/document.xml', data: new Uint8Array(64 * 1024 * 1024).fill(32) }]);
    await expect(loadDocument(file('bomb.docx', bomb))).rejects.toThrow(
      /compression ratio of word\/document\.xml 1,\d{3} exceeds 200/,
    );
    // Declares 100 bytes, inflates to 100,000: inflation stops at 101.
    const liar = makeZip([
      {
        name: 'word/document.xml',
        data: new Uint8Array(100_000).fill(97).map((_, i) => 97 + (i % 7)),
        declaredSize: 100,
      },
    ]);
    await expect(
      loadDocument(file('liar.docx', liar), { limits: { maxCompressionRatio: 1e9 } }),
    ).rejects.toThrow(/inflated size of word\/document\.xml 101 exceeds 100/);
    const many = makeZip(Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, data: Uint8Array.of(1) })));
    await expect(
      loadDocument(file('many.docx', many), { limits: { maxArchiveEntries: 20 } }),
    ).rejects.toThrow(/zip entry count 30 exceeds 20/);
    await expect(
      loadDocument(file('notdocx.docx', makeZip([{ name: 'a.txt', data: Uint8Array.of(65) }]))),
    ).rejects.toThrow(/not a DOCX/);
    await expect(loadDocument(file('cut.docx', bomb.subarray(0, 1000)))).rejects.toThrow(
      CorruptDocumentError,
    );
  });

  it('refuses a PDF with more pages than the limit before reading a page', async () => {
    const pdf = await makePdf(['a', 'b', 'c']);
    await expect(loadDocument(file('three.pdf', pdf), { limits: { maxPages: 2 } })).rejects.toThrow(
      /page count 3 exceeds 2/,
    );
  });
});
