import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { CorpusError } from './errors.js';

/** What went wrong fetching a URL. */
export type FetchErrorCode = 'REFUSED' | 'TIMEOUT' | 'HTTP' | 'TOO_LARGE' | 'REDIRECTS' | 'NETWORK';

/**
 * A URL could not be fetched; `code` says why and `url` is the address that failed.
 *
 * @example
 * ```ts
 * await fetchText('file:///etc/passwd'); // FetchError: REFUSED file:///etc/passwd: only http and https are fetched
 * ```
 */
export class FetchError extends CorpusError {
  override name = 'FetchError';
  constructor(
    readonly code: FetchErrorCode,
    readonly url: string,
    problem: string,
    readonly status?: number,
  ) {
    super(`${code} ${url}: ${problem}`);
  }
}

/** Options of {@link fetchText}. */
export interface FetchOptions {
  /** Per attempt. Default 30 s. */
  readonly timeoutMs?: number;
  /** Extra attempts after network errors, timeouts, 429 and 5xx. Default 3. */
  readonly retries?: number;
  /** First backoff; doubles each retry (a Retry-After header wins, up to 60 s). Default 500 ms. */
  readonly backoffMs?: number;
  /** Default 5. */
  readonly maxRedirects?: number;
  /** Largest body after decompression. Default 256 MiB. */
  readonly maxBytes?: number;
}

/** The fetched text and what it took. */
export interface FetchedText {
  readonly text: string;
  readonly finalUrl: string;
  readonly bytes: number;
  readonly attempts: number;
  /** U+FFFD characters produced by decoding invalid UTF-8. */
  readonly invalidUtf8: number;
}

/** Link-local ranges (where cloud metadata services live) are never fetched; loopback and LANs are. */
function isLinkLocal(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('169.254.');
  const lower = address.toLowerCase();
  return /^fe[89ab][0-9a-f]:/.test(lower) || lower === 'fd00:ec2::254' || lower.startsWith('::ffff:169.254.');
}

async function checkTarget(url: URL): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new FetchError('REFUSED', url.href, 'only http and https are fetched');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'metadata.google.internal') throw new FetchError('REFUSED', url.href, 'cloud metadata host');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((entry) => entry.address);
  if (addresses.some(isLinkLocal))
    throw new FetchError('REFUSED', url.href, `${host} resolves to a link-local address`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readCapped(response: Response, url: string, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      throw new FetchError('TOO_LARGE', url, `body exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Fetches a URL as text: only http(s), never a link-local or cloud-metadata address (checked again on
 * every redirect), redirects followed by hand up to a limit, each attempt under a timeout, network errors,
 * 429 and 5xx retried with exponential backoff, the body read with a byte cap that also bounds
 * `Content-Encoding: gzip` and `.gz` downloads, and invalid UTF-8 decoded with replacement and counted.
 *
 * @example
 * ```ts
 * const { text } = await fetchText('https://example.org/book.txt', { timeoutMs: 10_000 });
 * ```
 */
export async function fetchText(address: string, options: FetchOptions = {}): Promise<FetchedText> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 500;
  const maxRedirects = options.maxRedirects ?? 5;
  const maxBytes = options.maxBytes ?? 256 * 2 ** 20;
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new FetchError('REFUSED', address, 'not a URL');
  }
  let attempts = 0;
  let redirects = 0;
  for (;;) {
    await checkTarget(url);
    attempts++;
    let response: Response;
    try {
      response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      if (attempts > retries)
        throw new FetchError(
          timedOut ? 'TIMEOUT' : 'NETWORK',
          url.href,
          timedOut ? `no answer within ${timeoutMs} ms` : String((error as Error).message),
        );
      await sleep(backoffMs * 2 ** (attempts - 1));
      continue;
    }
    if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
      await response.body?.cancel();
      if (++redirects > maxRedirects)
        throw new FetchError('REDIRECTS', url.href, `more than ${maxRedirects} redirects`);
      url = new URL(response.headers.get('location')!, url);
      continue;
    }
    if (response.status === 429 || response.status >= 500) {
      await response.body?.cancel();
      if (attempts > retries)
        throw new FetchError(
          'HTTP',
          url.href,
          `status ${response.status} after ${attempts} attempts`,
          response.status,
        );
      const retryAfter = Number(response.headers.get('retry-after'));
      await sleep(
        Number.isFinite(retryAfter) && response.headers.has('retry-after')
          ? Math.min(60_000, retryAfter * 1000)
          : backoffMs * 2 ** (attempts - 1),
      );
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new FetchError('HTTP', url.href, `status ${response.status}`, response.status);
    }
    let bytes: Uint8Array;
    try {
      bytes = await readCapped(response, url.href, maxBytes);
    } catch (error) {
      if (error instanceof FetchError) throw error;
      if (attempts > retries)
        throw new FetchError(
          (error as Error).name === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK',
          url.href,
          String((error as Error).message),
        );
      await sleep(backoffMs * 2 ** (attempts - 1));
      continue;
    }
    if (url.pathname.endsWith('.gz')) {
      try {
        bytes = gunzipSync(bytes, { maxOutputLength: maxBytes });
      } catch (error) {
        throw new FetchError('TOO_LARGE', url.href, `gzip body: ${(error as Error).message}`);
      }
    }
    const text = new TextDecoder().decode(bytes);
    return {
      text,
      finalUrl: url.href,
      bytes: bytes.length,
      attempts,
      invalidUtf8: text.match(/\ufffd/g)?.length ?? 0,
    };
  }
}
