import { DatasetFormatError } from './errors.js';
import { readJsonl } from './jsonl-file.js';
import type { SftSample } from './sample.js';

/**
 * The JSONL shapes people train on: Alpaca `{"instruction","input"?,"output","system"?}`, TRL/OpenAI chat
 * `{"messages":[…]}`, and TRL prompt/completion `{"prompt","completion"}` (strings, or message lists in
 * TRL's conversational form).
 */
export type SampleFormat = 'alpaca' | 'messages' | 'prompt-completion';

/** Every {@link SampleFormat}, for option parsing. */
export const SAMPLE_FORMATS: readonly SampleFormat[] = ['alpaca', 'messages', 'prompt-completion'];

/** A single-turn training pair with an optional system prompt: what every format holds. */
export interface TrainingPair extends SftSample {
  readonly system?: string;
}

/** A JSON object as a Map, so keys from a file never touch a prototype. */
export function asRecord(value: unknown): Map<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return new Map(Object.entries(value));
}

interface Turn {
  readonly role: string;
  readonly content: string;
}

/** A list of `{role, content}` messages, checked. */
export function parseMessages(value: unknown, field: string, where: string): Turn[] {
  if (!Array.isArray(value)) throw new DatasetFormatError(where, `${field} is not an array`);
  return value.map((message, i) => {
    const entry = asRecord(message);
    const role = entry?.get('role');
    const content = entry?.get('content');
    if (role !== 'system' && role !== 'user' && role !== 'assistant')
      throw new DatasetFormatError(
        where,
        `${field}[${i}].role ${JSON.stringify(role)} is not system, user or assistant`,
      );
    if (typeof content !== 'string')
      throw new DatasetFormatError(where, `${field}[${i}].content is not a string`);
    return { role, content };
  });
}

/** [system?, user, assistant] → a pair; anything else (multi-turn, no answer) is an error. */
function pairOfTurns(turns: readonly Turn[], where: string): TrainingPair {
  const system = turns[0]?.role === 'system' ? turns[0].content : undefined;
  const rest = system === undefined ? turns : turns.slice(1);
  if (rest.length !== 2 || rest[0]!.role !== 'user' || rest[1]!.role !== 'assistant')
    throw new DatasetFormatError(
      where,
      `expected [system?, user, assistant], got [${turns.map((turn) => turn.role).join(', ')}]`,
    );
  return {
    instruction: rest[0]!.content,
    output: rest[1]!.content,
    ...(system === undefined ? {} : { system }),
  };
}

/** The text or message list of a prompt/completion field as turns. */
function turnsOf(value: unknown, field: string, role: 'user' | 'assistant', where: string): Turn[] {
  return typeof value === 'string' ? [{ role, content: value }] : parseMessages(value, field, where);
}

/**
 * Reads one record in any {@link SampleFormat} (detected by its fields) as a training pair.
 *
 * @example
 * ```ts
 * parseSample({ prompt: 'Name the whale.', completion: 'Moby Dick.' }, 'data.jsonl:3');
 * // { instruction: 'Name the whale.', output: 'Moby Dick.' }
 * ```
 */
export function parseSample(value: unknown, where: string): TrainingPair {
  const record = asRecord(value);
  if (!record) throw new DatasetFormatError(where, 'not a JSON object');
  if (record.has('messages'))
    return pairOfTurns(parseMessages(record.get('messages'), 'messages', where), where);
  if (record.has('completion'))
    return pairOfTurns(
      [
        ...turnsOf(record.get('prompt'), 'prompt', 'user', where),
        ...turnsOf(record.get('completion'), 'completion', 'assistant', where),
      ],
      where,
    );
  const instruction = record.get('instruction');
  const input = record.get('input') ?? '';
  const output = record.get('output');
  const system = record.get('system');
  if (typeof instruction !== 'string' || typeof output !== 'string' || typeof input !== 'string')
    throw new DatasetFormatError(
      where,
      'not alpaca {"instruction","input"?,"output"}, {"messages":[…]} or {"prompt","completion"}',
    );
  if (system !== undefined && typeof system !== 'string')
    throw new DatasetFormatError(where, 'system is not a string');
  return {
    instruction: input ? `${instruction}\n\n${input}` : instruction,
    output,
    ...(typeof system === 'string' ? { system } : {}),
  };
}

/**
 * One pair as a record of `format` (the system prompt, when the pair has one, goes where the format puts it).
 *
 * @example
 * ```ts
 * formatSample({ instruction: 'Name the whale.', output: 'Moby Dick.' }, 'messages');
 * // { messages: [{ role: 'user', content: 'Name the whale.' }, { role: 'assistant', content: 'Moby Dick.' }] }
 * ```
 */
export function formatSample(pair: TrainingPair, format: SampleFormat): Record<string, unknown> {
  const system = pair.system === undefined ? [] : [{ role: 'system', content: pair.system }];
  if (format === 'messages')
    return {
      messages: [
        ...system,
        { role: 'user', content: pair.instruction },
        { role: 'assistant', content: pair.output },
      ],
    };
  if (format === 'prompt-completion')
    return system.length
      ? {
          prompt: [...system, { role: 'user', content: pair.instruction }],
          completion: [{ role: 'assistant', content: pair.output }],
        }
      : { prompt: pair.instruction, completion: pair.output };
  return {
    instruction: pair.instruction,
    output: pair.output,
    ...(pair.system === undefined ? {} : { system: pair.system }),
  };
}

/**
 * A pair as the chat conversation `@lm-stack/lora`'s `fineTune` trains on (assistant-only loss).
 *
 * @example
 * ```ts
 * toConversation({ instruction: 'Hi', output: 'Hello.' }).messages.length; // 2
 * ```
 */
export function toConversation(pair: TrainingPair): {
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
} {
  return formatSample(pair, 'messages') as {
    messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  };
}

/**
 * The records of a JSONL file in any {@link SampleFormat}, each with its `instruction`/`output` (and
 * `system`) read by {@link parseSample} and its other fields (key, model, sources…) kept.
 *
 * @example
 * ```ts
 * const pairs = readTrainingPairs('data/sft-train.jsonl');
 * ```
 */
export function readTrainingPairs(path: string): (TrainingPair & Record<string, unknown>)[] {
  return readJsonl<unknown>(path).map((record, i) => {
    const pair = parseSample(record, `${path}:record ${i + 1}`);
    const rest = new Map(Object.entries(record as object));
    for (const field of ['messages', 'prompt', 'completion', 'input']) rest.delete(field);
    return { ...Object.fromEntries(rest), ...pair };
  });
}
