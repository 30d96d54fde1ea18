import { createHash } from 'node:crypto';
import type { ChatClient } from './chat-client.js';
import { forEachConcurrently } from './concurrent-lanes.js';
import { GenerationRequestError } from './errors.js';
import { JsonlAppender, readJsonl } from './jsonl-file.js';
import { comparePair } from './judge.js';
import { formatPreference } from './preference-pair.js';

/** One side of an A/B generation: a client (model) and its sampling temperature. */
export interface AnswerSide {
  readonly client: ChatClient;
  readonly temperature?: number;
}

/** Options of {@link buildPreferencePairs}. */
export interface PreferencePairOptions {
  readonly prompts: readonly string[];
  /** Two models, or one model at two temperatures. */
  readonly sides: readonly [AnswerSide, AnswerSide];
  readonly judge: ChatClient;
  /** Pairs as TRL `{"prompt","chosen","rejected"}` JSONL (appended, fsynced). */
  readonly output: string;
  /** Prompts that made no pair: a tie, an inconsistent judge, equal answers, a failed request. */
  readonly rejected: string;
  readonly system?: string;
  readonly maxTokens?: number;
  /** Prompts at once. Default 5. */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/** What {@link buildPreferencePairs} did. */
export interface PreferencePairCounts {
  readonly pairs: number;
  /** How often each side was chosen: the judge's win rate of A over B. */
  readonly winsA: number;
  readonly winsB: number;
  readonly ties: number;
  /** Verdicts that flipped when the answers were swapped (position bias), counted among ties. */
  readonly inconsistent: number;
  readonly failed: number;
  readonly skipped: number;
}

/**
 * Preference pairs from A/B generations: each prompt is answered by both sides, a judge compares the two
 * answers in both orders ({@link comparePair}), and the consistent winner becomes `chosen`. Resumable like
 * generation: a prompt whose key is in either file is skipped.
 *
 * @example
 * ```ts
 * const counts = await buildPreferencePairs({ prompts, sides: [{ client: big }, { client: small }], judge, output: 'pairs.jsonl', rejected: 'pairs-rejected.jsonl' });
 * ```
 */
export async function buildPreferencePairs(options: PreferencePairOptions): Promise<PreferencePairCounts> {
  const [sideA, sideB] = options.sides;
  const done = new Set<string>();
  for (const record of readJsonl<{ key?: string }>(options.output)) if (record.key) done.add(record.key);
  for (const record of readJsonl<{ key?: string }>(options.rejected)) if (record.key) done.add(record.key);
  const output = new JsonlAppender(options.output);
  const rejected = new JsonlAppender(options.rejected);
  const counts = { pairs: 0, winsA: 0, winsB: 0, ties: 0, inconsistent: 0, failed: 0, skipped: 0 };
  const signal = options.signal ? { signal: options.signal } : {};
  const answer = async (side: AnswerSide, prompt: string) =>
    (
      await side.client.chat({
        messages: [
          ...(options.system ? [{ role: 'system' as const, content: options.system }] : []),
          { role: 'user' as const, content: prompt },
        ],
        temperature: side.temperature ?? 0.7,
        maxTokens: options.maxTokens ?? 512,
        ...signal,
      })
    ).text.trim();
  let finished = 0;
  try {
    await forEachConcurrently(options.prompts, options.concurrency ?? 5, options.signal, async (prompt) => {
      const key = createHash('sha256')
        .update(
          JSON.stringify([
            prompt,
            options.system,
            sideA.client.model,
            sideA.temperature,
            sideB.client.model,
            sideB.temperature,
            options.judge.model,
          ]),
        )
        .digest('hex');
      if (done.has(key)) counts.skipped++;
      else {
        done.add(key);
        try {
          const a = await answer(sideA, prompt);
          const b = await answer(sideB, prompt);
          const verdict = a === b ? undefined : await comparePair(options.judge, prompt, a, b, signal);
          if (verdict && verdict.winner !== 'tie') {
            const [chosen, loser] = verdict.winner === 'a' ? [a, b] : [b, a];
            output.append({
              ...formatPreference({
                prompt,
                chosen,
                rejected: loser,
                ...(options.system ? { system: options.system } : {}),
              }),
              key,
              chosenModel: verdict.winner === 'a' ? sideA.client.model : sideB.client.model,
              judge: options.judge.model,
            });
            counts.pairs++;
            if (verdict.winner === 'a') counts.winsA++;
            else counts.winsB++;
          } else {
            counts.ties++;
            if (verdict && !verdict.consistent) counts.inconsistent++;
            rejected.append({
              key,
              prompt,
              reason: !verdict ? 'equal answers' : verdict.consistent ? 'tie' : 'inconsistent judge',
              verdicts: verdict?.verdicts,
            });
          }
        } catch (error) {
          if (options.signal?.aborted || !(error instanceof GenerationRequestError)) throw error;
          counts.failed++;
          rejected.append({ key, prompt, reason: 'request', detail: error.message });
        }
      }
      options.onProgress?.(++finished, options.prompts.length);
    });
  } finally {
    output.close();
    rejected.close();
  }
  options.signal?.throwIfAborted();
  return counts;
}
