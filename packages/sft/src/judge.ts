import { z } from 'zod';
import type { ChatClient } from './chat-client.js';
import { renderTemplate } from './prompts.js';
import { askForJson, type StructuredRequestOptions } from './structured-answer.js';

/**
 * The default 1–5 rubric (after MT-Bench's single-answer grading and Prometheus' score rubrics): what each
 * score means, so that a judge's numbers are comparable across runs.
 */
export const DEFAULT_RUBRIC = [
  '1: wrong, off-topic or harmful; does not answer the instruction.',
  '2: mostly wrong or missing the main point; some relevant words.',
  '3: partly correct or incomplete; a reader would need to check it.',
  '4: correct and relevant with minor omissions or awkward wording.',
  '5: correct, complete, concise and directly answers the instruction.',
].join('\n');

/** The judge's system prompt: a strict grader that answers only with JSON. */
export const JUDGE_SYSTEM_PROMPT =
  'You are a strict, impartial grader of answers written for a training dataset. Judge correctness and helpfulness, not length or style. Answer only with JSON.';

const SCORE_TEMPLATE =
  'Grade the answer to the instruction with the rubric.\n\nRubric:\n{rubric}\n\nInstruction:\n{instruction}\n\nAnswer:\n{answer}\n\n' +
  'Reply with a JSON object {"reason": "<one sentence>", "score": <1-5>}.';

const PAIR_TEMPLATE =
  'Which answer to the instruction is better? Ignore the order they are shown in and their length.\n\nInstruction:\n{instruction}\n\n' +
  'Answer A:\n{a}\n\nAnswer B:\n{b}\n\nReply with a JSON object {"reason": "<one sentence>", "winner": "A" | "B" | "tie"}.';

/** A judge's absolute grade (reason first, so the model explains before it scores; one sentence, 300 characters, so a grammar-bound small judge ends within its 256 tokens). */
export const scoreSchema = z.object({
  reason: z.string().max(300),
  // An enum, not integer + minimum/maximum: every JSON-schema grammar (llama.cpp's, Ollama's) enforces enums,
  // not all enforce numeric bounds.
  score: z.literal([1, 2, 3, 4, 5]),
});
const pairSchema = z.object({ reason: z.string().max(300), winner: z.enum(['A', 'B', 'tie']) });
const SCORE_JSON = z.toJSONSchema(scoreSchema) as Record<string, unknown>;
const PAIR_JSON = z.toJSONSchema(pairSchema) as Record<string, unknown>;

/** A judge's verdict on one answer, or why there is none. */
export type Score =
  | { readonly ok: true; readonly score: number; readonly reason: string }
  | { readonly ok: false; readonly reason: 'json' | 'schema'; readonly detail: string };

/** Sampling for judges: greedy by default, so a verdict is repeatable. */
const judgeSampling = (options: StructuredRequestOptions) => ({ temperature: 0, maxTokens: 256, ...options });

/**
 * Grades one answer 1–5 against a rubric with a judge model (structured output, one repair prompt).
 *
 * @example
 * ```ts
 * const verdict = await scoreAnswer(judge, { instruction: 'Who wrote Moby-Dick?', output: 'Herman Melville.' });
 * if (verdict.ok) console.log(verdict.score); // 5
 * ```
 */
export async function scoreAnswer(
  judge: ChatClient,
  sample: { readonly instruction: string; readonly output: string },
  rubric = DEFAULT_RUBRIC,
  options: StructuredRequestOptions = {},
): Promise<Score & { readonly promptTokens: number; readonly completionTokens: number }> {
  const prompt = renderTemplate(SCORE_TEMPLATE, {
    rubric,
    instruction: sample.instruction,
    answer: sample.output,
  });
  const result = await askForJson(
    judge,
    [
      { role: 'system', content: JUDGE_SYSTEM_PROMPT },
      { role: 'user', content: prompt },
    ],
    scoreSchema,
    SCORE_JSON,
    '{"reason": "...", "score": 1-5}',
    judgeSampling(options),
  );
  const cost = { promptTokens: result.promptTokens, completionTokens: result.completionTokens };
  return result.ok
    ? { ok: true, score: result.value.score, reason: result.value.reason, ...cost }
    : { ok: false, reason: result.reason, detail: result.detail, ...cost };
}

/** A pairwise verdict: the better answer when both orders agree, else a tie (the judge's position bias). */
export interface PairVerdict {
  readonly winner: 'a' | 'b' | 'tie';
  /** Both orders named the same answer (or both said tie). */
  readonly consistent: boolean;
  /** The raw verdicts with `a` shown first, then `b` shown first; undefined where the judge gave no valid answer. */
  readonly verdicts: readonly [string | undefined, string | undefined];
}

/**
 * Pairwise A/B judgement, asked twice with the answers swapped (Zheng et al. 2023: judges prefer the first
 * position); a winner only when both orders agree, otherwise a tie.
 *
 * @example
 * ```ts
 * const { winner } = await comparePair(judge, 'Who wrote Moby-Dick?', 'Herman Melville.', 'Mark Twain.'); // 'a'
 * ```
 */
export async function comparePair(
  judge: ChatClient,
  instruction: string,
  a: string,
  b: string,
  options: StructuredRequestOptions = {},
): Promise<PairVerdict> {
  const ask = async (first: string, second: string) => {
    const result = await askForJson(
      judge,
      [
        { role: 'system', content: JUDGE_SYSTEM_PROMPT },
        { role: 'user', content: renderTemplate(PAIR_TEMPLATE, { instruction, a: first, b: second }) },
      ],
      pairSchema,
      PAIR_JSON,
      '{"reason": "...", "winner": "A" | "B" | "tie"}',
      judgeSampling(options),
    );
    return result.ok ? result.value.winner : undefined;
  };
  const forward = await ask(a, b);
  const backward = await ask(b, a);
  // Map both to the original names: forward A = a; backward A = b.
  const first = forward === 'A' ? 'a' : forward === 'B' ? 'b' : forward;
  const second = backward === 'A' ? 'b' : backward === 'B' ? 'a' : backward;
  const consistent = first !== undefined && first === second;
  return {
    winner: consistent ? (first as 'a' | 'b' | 'tie') : 'tie',
    consistent,
    verdicts: [forward, backward],
  };
}
