import { type BpeDefinition, validateDefinition } from './bpe-definition.js';
import { bytesToUnicode, unicodeToBytes } from './byte-unicode.js';
import { TokenizerFormatError } from './errors.js';
import { LLAMA_CPP_PRE_TOKENIZER, type PatternName } from './patterns.js';

/** llama.cpp `llama_token_type` values (llama.h / gguf-py `TokenType`). */
export const GGUF_TOKEN_TYPE = {
  normal: 1,
  unknown: 2,
  control: 3,
  userDefined: 4,
  unused: 5,
  byte: 6,
} as const;

/** Options of `toGgufFields`: which special tokens play which role. */
export interface GgufTokenizerOptions {
  /** Special token used as beginning-of-sequence. */
  readonly bos?: string;
  /** Special token used as end-of-sequence. */
  readonly eos?: string;
  /** Special token that ends a turn (e.g. `<|im_end|>`); llama.cpp stops generation at it. */
  readonly eot?: string;
  /** Special token used for padding. */
  readonly pad?: string;
  /** Whether llama.cpp should prepend BOS when tokenizing. Default false. */
  readonly addBos?: boolean;
  /** Jinja chat template for `tokenizer.chat_template`. */
  readonly chatTemplate?: string;
}

/** The `tokenizer.ggml.*` values of a GGUF file, in the order of ids (llama.cpp requires ids 0..n-1). */
export interface GgufTokenizerFields {
  /** `tokenizer.ggml.model`: always `gpt2` (byte-level BPE). */
  readonly model: 'gpt2';
  /** `tokenizer.ggml.pre`: llama.cpp's name for the split regex. */
  readonly pre: string;
  /** `tokenizer.ggml.tokens`: byte-unicode text of each token; special tokens as their text. */
  readonly tokens: string[];
  /** `tokenizer.ggml.token_type`: see {@link GGUF_TOKEN_TYPE}. */
  readonly tokenTypes: number[];
  /** `tokenizer.ggml.merges`: `"left right"` in byte-unicode form, in rank order. */
  readonly merges: string[];
  readonly bosTokenId?: number;
  readonly eosTokenId?: number;
  readonly eotTokenId?: number;
  readonly padTokenId?: number;
  /** `tokenizer.ggml.add_bos_token`. */
  readonly addBosToken: boolean;
  /** `tokenizer.chat_template`. */
  readonly chatTemplate?: string;
}

export function ggufFieldsFromDefinition(
  definition: BpeDefinition,
  options: GgufTokenizerOptions,
): GgufTokenizerFields {
  if (typeof definition.pattern !== 'string')
    throw new TokenizerFormatError(
      'pattern',
      definition.pattern.regex,
      'a custom pattern has no llama.cpp pre-tokenizer name',
    );
  let size = definition.tokens.length;
  for (const id of definition.specialTokens.values()) size = Math.max(size, id + 1);
  const tokens: string[] = [];
  const tokenTypes: number[] = [];
  for (let id = 0; id < size; id++) {
    const bytes = definition.tokens[id];
    tokens.push(bytes === undefined ? `[UNUSED_${id}]` : bytesToUnicode(bytes));
    tokenTypes.push(bytes === undefined ? GGUF_TOKEN_TYPE.unused : GGUF_TOKEN_TYPE.normal);
  }
  for (const [text, id] of definition.specialTokens) {
    tokens[id] = text;
    tokenTypes[id] = GGUF_TOKEN_TYPE.control;
  }
  const idOf = (role: string, text: string | undefined): { [key: string]: number } => {
    if (text === undefined) return {};
    const id = definition.specialTokens.get(text);
    if (id === undefined)
      throw new TokenizerFormatError(role, text, 'is not a special token of this tokenizer');
    return { [`${role}TokenId`]: id };
  };
  const name = (id: number) => tokens[id]!;
  return {
    model: 'gpt2',
    pre: LLAMA_CPP_PRE_TOKENIZER[definition.pattern],
    tokens,
    tokenTypes,
    merges: definition.merges.map(([left, right]) => `${name(left)} ${name(right)}`),
    ...idOf('bos', options.bos),
    ...idOf('eos', options.eos),
    ...idOf('eot', options.eot),
    ...idOf('pad', options.pad),
    addBosToken: options.addBos ?? false,
    ...(options.chatTemplate === undefined ? {} : { chatTemplate: options.chatTemplate }),
  };
}

/** What {@link definitionFromGgufFields} reads of a GGUF file's `tokenizer.ggml.*` keys. */
export interface GgufTokenizerInput {
  readonly model: string;
  readonly pre: string;
  readonly tokens: readonly string[];
  readonly tokenTypes: readonly number[];
  readonly merges: readonly string[];
}

/**
 * The tokenizer stored in a GGUF file (`tokenizer.ggml.model` `gpt2`): tokens in byte-unicode form become
 * bytes, control tokens become special tokens, `"left right"` merges become id pairs, and `pre` names the
 * split pattern (llama.cpp's names: `gpt-2`, `llama-bpe`, `gpt-4o`). Every count and reference is checked;
 * token texts are looked up in a `Map`.
 */
export function definitionFromGgufFields(fields: GgufTokenizerInput): BpeDefinition {
  if (fields.model !== 'gpt2')
    throw new TokenizerFormatError(
      'tokenizer.ggml.model',
      fields.model,
      'only "gpt2" (byte-level BPE) is supported',
    );
  const pattern = (Object.entries(LLAMA_CPP_PRE_TOKENIZER) as Array<[PatternName, string]>).find(
    ([, name]) => name === fields.pre,
  )?.[0];
  if (!pattern)
    throw new TokenizerFormatError(
      'tokenizer.ggml.pre',
      fields.pre,
      `is not one of ${Object.values(LLAMA_CPP_PRE_TOKENIZER).join(', ')}`,
    );
  if (fields.tokenTypes.length !== fields.tokens.length)
    throw new TokenizerFormatError(
      'tokenizer.ggml.token_type',
      fields.tokenTypes.length,
      `has not one entry per token (${fields.tokens.length})`,
    );
  const tokens: Array<Uint8Array | undefined> = [];
  const specialTokens = new Map<string, number>();
  const idOf = new Map<string, number>();
  fields.tokens.forEach((text, id) => {
    const type = fields.tokenTypes[id];
    if (type === GGUF_TOKEN_TYPE.control || type === GGUF_TOKEN_TYPE.userDefined) {
      specialTokens.set(text, id);
      tokens.push(undefined);
    } else if (type === GGUF_TOKEN_TYPE.unused) tokens.push(undefined);
    else {
      const bytes = unicodeToBytes(text);
      if (!bytes)
        throw new TokenizerFormatError(`tokenizer.ggml.tokens[${id}]`, text, 'is not in byte-unicode form');
      tokens.push(bytes);
      idOf.set(text, id);
    }
  });
  const merges = fields.merges.map((merge, rank): [number, number] => {
    const parts = merge.split(' ');
    const left = parts.length === 2 ? idOf.get(parts[0]!) : undefined;
    const right = parts.length === 2 ? idOf.get(parts[1]!) : undefined;
    if (left === undefined || right === undefined)
      throw new TokenizerFormatError(
        `tokenizer.ggml.merges[${rank}]`,
        merge,
        'is not two known tokens separated by a space',
      );
    return [left, right];
  });
  // llama.cpp emits a chunk that is itself a token without merging for llama-bpe (LLAMA_VOCAB_PRE_TYPE_LLAMA3).
  const definition: BpeDefinition = {
    tokens,
    merges,
    specialTokens,
    pattern,
    ignoreMerges: pattern === 'cl100k',
  };
  validateDefinition(definition, 'tokenizer.ggml.');
  return definition;
}
