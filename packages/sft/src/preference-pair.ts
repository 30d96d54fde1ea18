import { asRecord, parseMessages } from './dataset-format.js';
import { DatasetFormatError } from './errors.js';
import type { JudgedRecord } from './judge-dataset.js';

/** A DPO training pair in TRL's standard form (explicit prompt), with an optional system prompt. */
export interface PreferencePair {
  readonly prompt: string;
  readonly chosen: string;
  readonly rejected: string;
  readonly system?: string;
}

/** The text of a single assistant turn in TRL's conversational form. */
function assistantText(value: unknown, field: string, where: string): string {
  if (typeof value === 'string') return value;
  const turns = parseMessages(value, field, where);
  if (turns.length !== 1 || turns[0]!.role !== 'assistant')
    throw new DatasetFormatError(where, `${field} must be a string or one assistant message`);
  return turns[0]!.content;
}

/**
 * Reads a preference record: TRL's standard `{"prompt","chosen","rejected"}` (strings) or its
 * conversational form (`prompt` a list of system/user messages, `chosen`/`rejected` one assistant message).
 *
 * @example
 * ```ts
 * parsePreference({ prompt: 'Who wrote Moby-Dick?', chosen: 'Herman Melville.', rejected: 'Mark Twain.' }, 'pairs.jsonl:1');
 * ```
 */
export function parsePreference(value: unknown, where: string): PreferencePair {
  const record = asRecord(value);
  if (!record) throw new DatasetFormatError(where, 'not a JSON object');
  const promptField = record.get('prompt');
  let prompt: string;
  let system: string | undefined;
  if (typeof promptField === 'string') prompt = promptField;
  else {
    const turns = parseMessages(promptField, 'prompt', where);
    const last = turns.at(-1);
    if (last?.role !== 'user')
      throw new DatasetFormatError(where, 'prompt must be a string or messages ending with a user turn');
    if (turns.length > 2 || (turns.length === 2 && turns[0]!.role !== 'system'))
      throw new DatasetFormatError(where, 'prompt must be [system?, user]: multi-turn prompts are not read');
    prompt = last.content;
    system = turns.length === 2 ? turns[0]!.content : undefined;
  }
  const chosen = assistantText(record.get('chosen'), 'chosen', where);
  const rejected = assistantText(record.get('rejected'), 'rejected', where);
  if (chosen === rejected) throw new DatasetFormatError(where, 'chosen and rejected are the same text');
  return { prompt, chosen, rejected, ...(system === undefined ? {} : { system }) };
}

/**
 * A pair as a TRL record: standard strings, or the conversational form when it has a system prompt.
 *
 * @example
 * ```ts
 * formatPreference({ prompt: 'Hi', chosen: 'Hello!', rejected: 'Go away.' }); // { prompt: 'Hi', chosen: 'Hello!', rejected: 'Go away.' }
 * ```
 */
export function formatPreference(pair: PreferencePair): Record<string, unknown> {
  if (pair.system === undefined) return { prompt: pair.prompt, chosen: pair.chosen, rejected: pair.rejected };
  return {
    prompt: [
      { role: 'system', content: pair.system },
      { role: 'user', content: pair.prompt },
    ],
    chosen: [{ role: 'assistant', content: pair.chosen }],
    rejected: [{ role: 'assistant', content: pair.rejected }],
  };
}

/**
 * Preference pairs from judge scores: for every instruction with two or more differently answered, judged
 * samples (several models or samplings), the best-scored answer is chosen and the worst rejected when their
 * scores differ by at least `minMargin` (default 1). Equal-scored answers make no pair.
 *
 * @example
 * ```ts
 * const pairs = pairsFromScores(readJsonl<JudgedRecord>('judged.jsonl'), 2);
 * ```
 */
export function pairsFromScores(records: readonly JudgedRecord[], minMargin = 1): PreferencePair[] {
  const byPrompt = new Map<string, JudgedRecord[]>();
  for (const record of records) {
    const group = byPrompt.get(record.instruction);
    if (group) group.push(record);
    else byPrompt.set(record.instruction, [record]);
  }
  const pairs: PreferencePair[] = [];
  for (const [prompt, group] of byPrompt) {
    if (group.length < 2) continue;
    // Stable: among equal scores the first written wins, so reruns give the same pairs.
    const ranked = group
      .map((record, order) => ({ record, order }))
      .sort((x, y) => y.record.judge.score - x.record.judge.score || x.order - y.order);
    const best = ranked[0]!.record;
    const worst = ranked.at(-1)!.record;
    if (best.judge.score - worst.judge.score >= minMargin && best.output !== worst.output)
      pairs.push({ prompt, chosen: best.output, rejected: worst.output });
  }
  return pairs;
}
