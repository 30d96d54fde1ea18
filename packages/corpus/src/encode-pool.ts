import { Worker } from 'node:worker_threads';
import type { BpeTokenizer } from '@lm-stack/tokenizer';
import { CorpusError } from './errors.js';

/** Characters per batch sent to a worker: large enough that messaging costs little, small enough to stream. */
const BATCH_CHARACTERS = 1 << 18;

/**
 * A worker thread failed (it could not start, threw, or exited).
 *
 * @example
 * ```ts
 * await packShards(documents, { ...options, workers: 2 }); // WorkerError: encode worker exited with code 1
 * ```
 */
export class WorkerError extends CorpusError {
  override name = 'WorkerError';
}

/** Where the worker script is: beside `src/` and `dist/` alike. */
function workerUrl(): URL {
  return new URL('../worker/encode-worker.mjs', import.meta.url);
}

interface Batch {
  readonly result: Promise<{ tokens: Uint32Array; offsets: Uint32Array }>;
}

/**
 * Encodes texts in order (plain text: special-token text is not special), yielding each text's tokens.
 * With `workers` > 0 the encoding runs in that many worker threads, batches in flight in parallel and
 * results yielded in the input order; with 0 it runs on this thread.
 *
 * @example
 * ```ts
 * for await (const ids of encodeInOrder(texts, tokenizer, 2)) total += ids.length;
 * ```
 */
export async function* encodeInOrder(
  texts: AsyncIterable<string>,
  tokenizer: BpeTokenizer,
  workers: number,
): AsyncGenerator<Uint32Array> {
  if (workers <= 0) {
    for await (const text of texts) yield Uint32Array.from(tokenizer.encodeOrdinary(text));
    return;
  }
  const serialized = JSON.stringify(tokenizer);
  const pool = Array.from(
    { length: workers },
    () => new Worker(workerUrl(), { workerData: { tokenizer: serialized } }),
  );
  const waiting = new Map<
    number,
    {
      resolve: (value: { tokens: Uint32Array; offsets: Uint32Array }) => void;
      reject: (error: Error) => void;
    }
  >();
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure ??= error;
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  for (const worker of pool) {
    worker.on('message', ({ batch, tokens, offsets }) => {
      waiting.get(batch)?.resolve({ tokens, offsets });
      waiting.delete(batch);
    });
    worker.on('error', (error) =>
      failAll(new WorkerError(`encode worker failed: ${error.message}`, { cause: error })),
    );
    worker.on('exit', (code) => failAll(new WorkerError(`encode worker exited with code ${code}`)));
  }
  const inFlight: Batch[] = [];
  let batchNumber = 0;
  const send = (batchTexts: string[]) => {
    const batch = batchNumber++;
    const result = new Promise<{ tokens: Uint32Array; offsets: Uint32Array }>((resolve, reject) => {
      if (failure) reject(failure);
      else waiting.set(batch, { resolve, reject });
    });
    result.catch(() => undefined); // observed when awaited below
    pool[batch % workers]!.postMessage({ batch, texts: batchTexts });
    inFlight.push({ result });
  };
  async function* drainOne(): AsyncGenerator<Uint32Array> {
    const { tokens, offsets } = await inFlight.shift()!.result;
    for (let i = 0; i + 1 < offsets.length; i++) yield tokens.subarray(offsets[i]!, offsets[i + 1]!);
  }
  try {
    let pending: string[] = [];
    let characters = 0;
    for await (const text of texts) {
      pending.push(text);
      characters += text.length;
      if (characters < BATCH_CHARACTERS) continue;
      send(pending);
      pending = [];
      characters = 0;
      // Two batches a worker in flight keeps every worker busy while bounding memory.
      if (inFlight.length >= 2 * workers) yield* drainOne();
    }
    if (pending.length > 0) send(pending);
    while (inFlight.length > 0) yield* drainOne();
  } finally {
    for (const worker of pool) {
      worker.removeAllListeners('exit');
      await worker.terminate();
    }
  }
}
