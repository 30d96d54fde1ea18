import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import {
  type BpeTokenizer,
  CHATML,
  type ChatMessage,
  type ChatTemplate,
  renderChat,
} from '@lm-stack/tokenizer';
import { ChatDataError } from './errors.js';

/** One training conversation. */
export interface ChatExample {
  readonly messages: readonly ChatMessage[];
}

// Bounds on untrusted JSONL: a line, a conversation and a whole file.
const MAX_LINE_BYTES = 1_000_000;
const MAX_MESSAGES = 1_000;
const MAX_FILE_BYTES = 2_000_000_000;
const ROLES = new Set(['system', 'user', 'assistant']);

function field(record: Map<string, unknown>, key: string): unknown {
  return record.get(key);
}

/** A JSON object as a Map, so keys from the file never touch a prototype. */
function asRecord(value: unknown): Map<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return new Map(Object.entries(value));
}

function parseLine(line: string, source: string, number: number): ChatExample {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new ChatDataError(source, number, `not JSON (${(error as Error).message})`);
  }
  const record = asRecord(parsed);
  if (!record) throw new ChatDataError(source, number, 'not a JSON object');
  const messages = field(record, 'messages');
  if (messages !== undefined) {
    if (!Array.isArray(messages)) throw new ChatDataError(source, number, 'messages is not an array');
    if (messages.length > MAX_MESSAGES)
      throw new ChatDataError(source, number, `${messages.length} messages exceed ${MAX_MESSAGES}`);
    const out = messages.map((message, i) => {
      const entry = asRecord(message);
      const role = entry && field(entry, 'role');
      const content = entry && field(entry, 'content');
      if (typeof role !== 'string' || !ROLES.has(role))
        throw new ChatDataError(
          source,
          number,
          `messages[${i}].role ${JSON.stringify(role)} is not system, user or assistant`,
        );
      if (typeof content !== 'string')
        throw new ChatDataError(source, number, `messages[${i}].content is not a string`);
      return { role, content };
    });
    if (!out.some((message) => message.role === 'assistant'))
      throw new ChatDataError(source, number, 'no assistant message: nothing to learn');
    return { messages: out };
  }
  // Alpaca: instruction, optional input, output (and an optional system prompt).
  const instruction = field(record, 'instruction');
  const input = field(record, 'input') ?? '';
  const output = field(record, 'output');
  const system = field(record, 'system');
  if (typeof instruction !== 'string' || typeof output !== 'string' || typeof input !== 'string')
    throw new ChatDataError(
      source,
      number,
      'neither {"messages": [...]} nor alpaca {"instruction", "input"?, "output"} with string values',
    );
  const out: ChatMessage[] = [];
  if (typeof system === 'string') out.push({ role: 'system', content: system });
  out.push({ role: 'user', content: input ? `${instruction}\n\n${input}` : instruction });
  out.push({ role: 'assistant', content: output });
  return { messages: out };
}

/**
 * Parses chat JSONL: one conversation per line, either `{"messages": [{"role", "content"}, …]}` or alpaca
 * `{"instruction", "input"?, "output", "system"?}`. Blank lines are skipped; every other line must be
 * valid, or a {@link ChatDataError} names the file, the line and the problem.
 *
 * @example
 * ```ts
 * parseChatJsonl('{"instruction": "Name the whale.", "output": "Moby Dick."}', 'chat.jsonl');
 * // [{ messages: [{ role: 'user', content: 'Name the whale.' }, { role: 'assistant', content: 'Moby Dick.' }] }]
 * ```
 */
export function parseChatJsonl(text: string, source = 'input'): ChatExample[] {
  const examples: ChatExample[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.length > MAX_LINE_BYTES)
      throw new ChatDataError(
        source,
        index + 1,
        `line of ${line.length} characters exceeds ${MAX_LINE_BYTES}`,
      );
    examples.push(parseLine(line, source, index + 1));
  }
  return examples;
}

/**
 * Reads a chat JSONL file (see {@link parseChatJsonl}).
 *
 * @example
 * ```ts
 * const examples = readChatJsonl('data/moby-dick-chat.jsonl');
 * ```
 */
export function readChatJsonl(path: string): ChatExample[] {
  const size = statSync(path).size;
  if (size > MAX_FILE_BYTES)
    throw new ChatDataError(path, 0, `file of ${size} bytes exceeds ${MAX_FILE_BYTES}`);
  return parseChatJsonl(readFileSync(path, 'utf8'), path);
}

/**
 * sha256 of the conversations (canonical JSON, one per line): what an adapter's registry entry records
 * as the data it was trained on.
 *
 * @example
 * ```ts
 * chatDatasetHash(examples); // '3c1f…'
 * ```
 */
export function chatDatasetHash(examples: readonly ChatExample[]): string {
  const hash = createHash('sha256');
  for (const { messages } of examples)
    hash.update(`${JSON.stringify(messages.map(({ role, content }) => [role, content]))}\n`);
  return hash.digest('hex');
}

/**
 * Splits conversations into train and validation by a hash of each one (stable when the file grows or is
 * reordered), aiming at `validationShare`; with a share above 0 and two or more examples, validation gets
 * at least one.
 *
 * @example
 * ```ts
 * const { train, validation } = splitChats(examples, 0.1);
 * ```
 */
export function splitChats(
  examples: readonly ChatExample[],
  validationShare: number,
  seed = 0,
): { train: ChatExample[]; validation: ChatExample[] } {
  if (!(validationShare >= 0 && validationShare < 1))
    throw new RangeError(`validationShare ${validationShare} must be in [0, 1)`);
  const train: ChatExample[] = [];
  const validation: ChatExample[] = [];
  for (const example of examples) {
    const digest = createHash('sha256')
      .update(`${seed}\n${JSON.stringify(example.messages)}`)
      .digest();
    (digest.readUInt32BE(0) / 2 ** 32 < validationShare ? validation : train).push(example);
  }
  if (validationShare > 0 && validation.length === 0 && train.length > 1) validation.push(train.pop()!);
  return { train, validation };
}

/** Conversations rendered and concatenated into one token stream with its assistant-only loss weights. */
export interface PackedChats {
  readonly tokens: Int32Array;
  /** 1 on the assistant's content and end-of-turn tokens, 0 elsewhere. */
  readonly weights: Float32Array;
  /** Where each conversation starts in `tokens`. */
  readonly starts: Int32Array;
}

/**
 * Renders each conversation through the chat template (ids and the assistant-only mask, exactly as
 * llama.cpp tokenizes the rendered prompt) and packs them end to end, so short examples share training
 * windows; the mask keeps the loss on the assistant's replies only.
 *
 * @example
 * ```ts
 * const packed = packChats(tokenizer, examples);
 * new Trainer({ model, train: arrayTokens(packed.tokens), trainWeights: arrayTokens(packed.weights), … });
 * ```
 */
export function packChats(
  tokenizer: BpeTokenizer,
  examples: readonly ChatExample[],
  template: ChatTemplate = CHATML,
): PackedChats {
  const rendered = examples.map(({ messages }) => renderChat(tokenizer, messages, { template }));
  const total = rendered.reduce((sum, chat) => sum + chat.ids.length, 0);
  const tokens = new Int32Array(total);
  const weights = new Float32Array(total);
  const starts = new Int32Array(rendered.length);
  let offset = 0;
  for (const [i, chat] of rendered.entries()) {
    starts[i] = offset;
    tokens.set(chat.ids, offset);
    weights.set(chat.mask, offset);
    offset += chat.ids.length;
  }
  return { tokens, weights, starts };
}
