/**
 * Runs `work` on every item with at most `concurrency` calls in flight, in item order, until done or
 * `signal` aborts (no new call starts; calls in flight finish). Rejects with the first error a call throws.
 *
 * @example
 * ```ts
 * await forEachConcurrently(prompts, 5, signal, async (prompt) => save(await ask(prompt)));
 * ```
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal | undefined,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.floor(concurrency)) }, async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      await work(items[index]!, index);
    }
  });
  await Promise.all(lanes);
}
