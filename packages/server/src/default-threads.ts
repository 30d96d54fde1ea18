import { availableParallelism } from 'node:os';

/**
 * llama.cpp threads for a model whose config names none: every core but one, which the event loop needs for
 * HTTP, streaming and sampling. llama.cpp's own default takes every core, and on a 2-core machine its
 * spinning threads then fight the event loop: measured 1.2 s a token with 2 threads against 0.7 ms with 1.
 *
 * @example
 * ```ts
 * defaultThreads(2); // 1
 * defaultThreads(16); // 15
 * ```
 */
export function defaultThreads(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}
