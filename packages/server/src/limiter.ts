import { ApiError } from './errors.js';

/**
 * Runs at most `concurrency` tasks at once with at most `queue` waiting; a task beyond that is refused with
 * a 429 ApiError at once, and a waiting task whose signal aborts leaves the queue.
 *
 * @example
 * ```ts
 * const limiter = new Limiter(4, 64);
 * const text = await limiter.run(() => engine.chat(messages, params), request.signal);
 * ```
 */
export class Limiter {
  private active = 0;
  private readonly waiting: { start: () => void; cancel: (reason: unknown) => void }[] = [];
  constructor(
    public concurrency: number,
    public queue: number,
  ) {}

  /** Tasks running now. */
  get running(): number {
    return this.active;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `task` when a slot is free. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.active >= this.concurrency) {
      if (this.waiting.length >= this.queue)
        throw new ApiError(
          429,
          'rate_limit_error',
          'queue_full',
          `the server is busy: ${this.active} running, ${this.waiting.length} waiting`,
        );
      await new Promise<void>((start, cancel) => {
        const entry = { start, cancel };
        this.waiting.push(entry);
        signal?.addEventListener(
          'abort',
          () => {
            const at = this.waiting.indexOf(entry);
            if (at >= 0) this.waiting.splice(at, 1);
            cancel(signal.reason);
          },
          { once: true },
        );
      });
    }
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.start();
    }
  }
}
