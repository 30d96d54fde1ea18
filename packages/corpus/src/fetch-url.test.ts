import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusDocument, FetchError, fetchText, readDocuments } from './index.js';

// A local server on 127.0.0.1 only; every route is one failure mode.
let server: Server;
let base = '';
const hits = new Map<string, number>();
const BOMB = gzipSync(Buffer.alloc(20 * 2 ** 20)); // 20 MiB of zeros in ~20 KB

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? '/';
    const hit = (hits.get(path) ?? 0) + 1;
    hits.set(path, hit);
    if (path === '/ok') response.end('hello');
    else if (path === '/flaky') {
      response.statusCode = hit <= 2 ? 500 : 200;
      response.end(hit <= 2 ? 'busy' : 'recovered');
    } else if (path === '/rate') {
      if (hit === 1) {
        response.writeHead(429, { 'retry-after': '0' });
        response.end();
      } else response.end('allowed');
    } else if (path === '/missing') {
      response.statusCode = 404;
      response.end();
    } else if (path === '/loop') {
      response.writeHead(302, { location: '/loop' });
      response.end();
    } else if (path === '/hop') {
      response.writeHead(301, { location: '/ok' });
      response.end();
    } else if (path === '/to-metadata') {
      response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      response.end();
    } else if (path === '/stall') {
      // never answers; the client's timeout ends it
    } else if (path === '/big') response.end(Buffer.alloc(2 * 2 ** 20, 0x61));
    else if (path === '/bomb') {
      response.writeHead(200, { 'content-encoding': 'gzip' });
      response.end(BOMB);
    } else if (path === '/data.txt.gz') response.end(gzipSync('packed text'));
    else if (path === '/page.html') response.end('<html><p>Fish &amp; chips</p></html>');
    else if (path === '/lines.jsonl') response.end('{"text":"one","id":"a"}\nnot json\n{"text":"two"}\n');
    else if (path === '/garbage') response.end(Buffer.from([0x41, 0xff, 0xfe, 0x42]));
    else response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

// Generous timeouts for answers, so a loaded CI machine cannot fail them; only /stall uses a short one.
const fast = { timeoutMs: 5000, retries: 2, backoffMs: 10, maxBytes: 2 ** 20 };
async function failure(path: string, options = fast): Promise<FetchError> {
  try {
    await fetchText(path.startsWith('/') ? `${base}${path}` : path, options);
  } catch (error) {
    if (error instanceof FetchError) return error;
    throw error;
  }
  throw new Error(`${path} did not fail`);
}

describe('fetchText', () => {
  it('fetches text, follows a redirect and gunzips .gz bodies', async () => {
    expect(await fetchText(`${base}/ok`, fast)).toMatchObject({ text: 'hello', attempts: 1, invalidUtf8: 0 });
    expect(await fetchText(`${base}/hop`, fast)).toMatchObject({ text: 'hello', finalUrl: `${base}/ok` });
    expect((await fetchText(`${base}/data.txt.gz`, fast)).text).toBe('packed text');
  });

  it('retries 5xx and 429 with backoff', async () => {
    expect(await fetchText(`${base}/flaky`, fast)).toMatchObject({ text: 'recovered', attempts: 3 });
    expect(await fetchText(`${base}/rate`, fast)).toMatchObject({ text: 'allowed', attempts: 2 });
  });

  it('fails clearly on 404, redirect loops, stalls and oversized bodies', async () => {
    expect(await failure('/missing')).toMatchObject({ code: 'HTTP', status: 404 });
    expect(hits.get('/missing')).toBe(1); // a 404 is not retried
    expect((await failure('/loop')).code).toBe('REDIRECTS');
    expect(await failure('/stall', { ...fast, timeoutMs: 200, retries: 1 })).toMatchObject({
      code: 'TIMEOUT',
    });
    expect(hits.get('/stall')).toBe(2); // one retry
    expect((await failure('/big')).message).toMatch(/TOO_LARGE .* body exceeds 1048576 bytes/);
    expect((await failure('/bomb')).code).toBe('TOO_LARGE'); // Content-Encoding: gzip, capped after decompression
  });

  it('fails with NETWORK on an unreachable address, after its retries', async () => {
    // A port that was free a moment ago: nothing listens, so every connection is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await failure(`http://127.0.0.1:${port}/`, { ...fast, retries: 1 });
    expect(error.code).toBe('NETWORK');
  });

  it('refuses file: URLs and link-local metadata addresses, also behind a redirect', async () => {
    expect((await failure('file:///etc/passwd')).message).toBe(
      'REFUSED file:///etc/passwd: only http and https are fetched',
    );
    expect((await failure('http://169.254.169.254/latest/meta-data/')).code).toBe('REFUSED');
    expect((await failure('/to-metadata')).code).toBe('REFUSED');
    expect((await failure('not a url')).code).toBe('REFUSED');
  });

  it('decodes invalid UTF-8 with replacement and counts it', async () => {
    expect(await fetchText(`${base}/garbage`, fast)).toMatchObject({
      text: 'A\ufffd\ufffdB',
      invalidUtf8: 2,
    });
  });
});

describe('readDocuments with URLs', () => {
  it('reads text, HTML and JSONL URLs beside files, and skips a failing URL with its error', async () => {
    const skipped: string[] = [];
    const documents: CorpusDocument[] = [];
    const urls = ['/ok', '/page.html', '/lines.jsonl', '/missing', '/garbage'].map(
      (path) => `${base}${path}`,
    );
    for await (const document of readDocuments(urls, {
      fetch: fast,
      onSkip: (where, reason) => skipped.push(`${where.replace(base, '')}: ${reason.replace(base, '')}`),
    }))
      documents.push(document);
    const host = base.replace('http://', '');
    expect(
      documents.map(({ id, source, group, text }) => [id.replace(base, ''), source, group, text]),
    ).toEqual([
      ['/ok', host, host, 'hello'],
      ['/page.html', host, host, 'Fish & chips'],
      ['a', host, host, 'one'],
      ['/lines.jsonl:3', host, host, 'two'],
      ['/garbage', host, host, 'A\ufffd\ufffdB'],
    ]);
    expect(skipped).toEqual([
      expect.stringMatching(/^\/lines\.jsonl:2: not JSON/),
      '/missing: HTTP /missing: status 404',
    ]);
  });
});
