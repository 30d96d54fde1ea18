import { EmbeddingRequestError } from './errors.js';

/** How a remote call is retried. */
export interface RetryOptions {
  /** Tries in all, the first included. Default 3. */
  readonly attempts?: number;
  /** First backoff in ms, doubled each retry, ±50% jitter. Default 500. */
  readonly baseDelayMs?: number;
  /** Longest wait between tries, Retry-After included. Default 30,000. */
  readonly maxDelayMs?: number;
}

/** The HTTP status and Retry-After (ms) of an error thrown by the `ollama` or `openai` clients. */
function describe(error: unknown): { status: number | undefined; retryAfterMs: number | undefined } {
  const record = error as {
    status?: unknown;
    status_code?: unknown;
    headers?: { get?(name: string): string | null };
  };
  const raw = typeof record.status === 'number' ? record.status : record.status_code;
  const status = typeof raw === 'number' ? raw : undefined;
  const header = typeof record.headers?.get === 'function' ? record.headers.get('retry-after') : null;
  let retryAfterMs: number | undefined;
  if (header) {
    const seconds = Number(header);
    retryAfterMs = Number.isFinite(seconds) ? seconds * 1000 : Math.max(0, Date.parse(header) - Date.now());
  }
  return { status, retryAfterMs };
}

/** 429 and 5xx are worth another try, and so is a failure with no status (refused, reset, timed out). */
const retriable = (status: number | undefined) => status === undefined || status === 429 || status >= 500;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/**
 * Calls `request` until it succeeds or the tries run out, waiting as the server's Retry-After says or with
 * exponential backoff and jitter; a 4xx other than 429 fails at once. The last failure becomes an
 * {@link EmbeddingRequestError} naming the provider, the status and the number of tries.
 */
export async function withRetries<T>(
  provider: string,
  request: () => Promise<T>,
  options: RetryOptions = {},
  signal?: AbortSignal,
): Promise<T> {
  const { attempts = 3, baseDelayMs = 500, maxDelayMs = 30_000 } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (signal?.aborted) throw error;
      const { status, retryAfterMs } = describe(error);
      if (attempt >= attempts || !retriable(status))
        throw new EmbeddingRequestError(provider, status, attempt, (error as Error).message);
      const backoff = baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random());
      await sleep(Math.min(maxDelayMs, retryAfterMs ?? backoff), signal);
    }
  }
}
