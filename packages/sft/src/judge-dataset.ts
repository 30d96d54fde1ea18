import { createHash } from 'node:crypto';
import type { ChatClient } from './chat-client.js';
import { forEachConcurrently } from './concurrent-lanes.js';
import { DatasetFormatError, GenerationRequestError } from './errors.js';
import { JsonlAppender, readJsonl } from './jsonl-file.js';
import { DEFAULT_RUBRIC, scoreAnswer } from './judge.js';
import type { SftSample } from './sample.js';

/** A sample with its judge's grade: one line of the judged JSONL. */
export type JudgedRecord<T extends SftSample = SftSample> = T & {
  readonly judge: {
    readonly model: string;
    readonly score: number;
    readonly reason: string;
    readonly key: string;
  };
};

/** Options of {@link judgeDataset}. */
export interface JudgeDatasetOptions<T extends SftSample> {
  readonly judge: ChatClient;
  readonly samples: readonly T[];
  /** Judged samples, appended (JSONL, fsynced per line); a rerun skips samples already judged. */
  readonly output: string;
  /** Samples the judge gave no valid grade for, with the reason. */
  readonly rejected: string;
  readonly rubric?: string;
  /** Requests at once. Default 5. */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Mean score, how many got each score, and how many could not be graded. */
export interface JudgeSummary {
  readonly judged: number;
  /** Samples in the rejected file (no valid grade). */
  readonly failed: number;
  readonly mean: number;
  /** Samples per score, index 0 = score 1. */
  readonly histogram: readonly [number, number, number, number, number];
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** The mean and histogram of judged records (of any run, read back from the file). */
export function summarizeScores(
  records: readonly JudgedRecord[],
): Pick<JudgeSummary, 'judged' | 'mean' | 'histogram'> {
  const histogram: [number, number, number, number, number] = [0, 0, 0, 0, 0];
  let total = 0;
  records.forEach((record, index) => {
    // Judged files are read back from disk: a record without a 1–5 grade is an error, not NaN.
    const score: unknown = record?.judge?.score;
    if (typeof score !== 'number' || !Number.isInteger(score) || score < 1 || score > 5)
      throw new DatasetFormatError(`judged record ${index + 1}`, `judge.score ${String(score)} is not 1–5`);
    histogram[score - 1]!++;
    total += score;
  });
  return { judged: records.length, mean: records.length ? total / records.length : Number.NaN, histogram };
}

/**
 * Grades every sample 1–5 with a judge model, `concurrency` at a time, appending each grade as it arrives;
 * a rerun skips samples whose key (sha256 of judge model, rubric, instruction, output) is in either file.
 *
 * @example
 * ```ts
 * const summary = await judgeDataset({ judge, samples, output: 'judged.jsonl', rejected: 'judged-rejected.jsonl' });
 * console.log(summary.mean.toFixed(2), summary.histogram);
 * ```
 */
export async function judgeDataset<T extends SftSample>(
  options: JudgeDatasetOptions<T>,
): Promise<JudgeSummary> {
  const { judge, samples } = options;
  const rubric = options.rubric ?? DEFAULT_RUBRIC;
  const done = new Set<string>();
  for (const record of readJsonl<{ judge?: { key?: string }; key?: string }>(options.output))
    if (record.judge?.key) done.add(record.judge.key);
  for (const record of readJsonl<{ key?: string }>(options.rejected)) if (record.key) done.add(record.key);
  const output = new JsonlAppender(options.output);
  const rejected = new JsonlAppender(options.rejected);
  let finished = 0;
  const tokens = { promptTokens: 0, completionTokens: 0 };
  try {
    await forEachConcurrently(samples, options.concurrency ?? 5, options.signal, async (sample) => {
      const key = createHash('sha256')
        .update(JSON.stringify([judge.model, rubric, sample.instruction, sample.output]))
        .digest('hex');
      if (!done.has(key)) {
        done.add(key);
        try {
          const verdict = await scoreAnswer(
            judge,
            sample,
            rubric,
            options.signal ? { signal: options.signal } : {},
          );
          tokens.promptTokens += verdict.promptTokens;
          tokens.completionTokens += verdict.completionTokens;
          if (verdict.ok)
            output.append({
              ...sample,
              judge: { model: judge.model, score: verdict.score, reason: verdict.reason, key },
            });
          else {
            rejected.append({
              key,
              instruction: sample.instruction,
              reason: verdict.reason,
              detail: verdict.detail,
            });
          }
        } catch (error) {
          if (options.signal?.aborted || !(error instanceof GenerationRequestError)) throw error;
          rejected.append({ key, instruction: sample.instruction, reason: 'request', detail: error.message });
        }
      }
      options.onProgress?.(++finished, samples.length);
    });
  } finally {
    output.close();
    rejected.close();
  }
  options.signal?.throwIfAborted();
  // Counts over the whole files, this run and earlier ones; tokens are this run's.
  return {
    ...summarizeScores(readJsonl<JudgedRecord>(options.output)),
    failed: readJsonl(options.rejected).length,
    ...tokens,
  };
}
