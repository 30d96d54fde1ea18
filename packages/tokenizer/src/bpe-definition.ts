import { TokenizerFormatError } from './errors.js';
import type { Pattern } from './patterns.js';

/**
 * Everything that defines a byte-level BPE tokenizer, independent of any file format. Formats (own JSON,
 * Hugging Face, tiktoken, GGUF) convert to and from this.
 */
export interface BpeDefinition {
  /** Bytes of each mergeable token by id; `undefined` where an id is unused (e.g. tiktoken's gaps). */
  readonly tokens: ReadonlyArray<Uint8Array | undefined>;
  /** Merges in rank order, as `[leftId, rightId]`; each produces the token whose bytes are the concatenation. */
  readonly merges: ReadonlyArray<readonly [number, number]>;
  /** Special tokens: text → id. They never take part in merges. */
  readonly specialTokens: ReadonlyMap<string, number>;
  /** Pre-tokenizer split pattern. */
  readonly pattern: Pattern;
  /**
   * When true, a pre-tokenized chunk that is itself a token is emitted as that token before any merge is
   * tried (tiktoken always does this; Hugging Face `model.ignore_merges`).
   */
  readonly ignoreMerges: boolean;
}

/** Checks ids and merges of a definition; throws `TokenizerFormatError` naming the field. */
export function validateDefinition(definition: BpeDefinition, fieldPrefix = ''): void {
  const { tokens, merges, specialTokens } = definition;
  const seenSpecialIds = new Set<number>();
  for (const [text, id] of specialTokens) {
    const field = `${fieldPrefix}specialTokens[${JSON.stringify(text)}]`;
    if (!Number.isSafeInteger(id) || id < 0)
      throw new TokenizerFormatError(field, id, 'id is not a non-negative integer');
    if (id < tokens.length && tokens[id] !== undefined)
      throw new TokenizerFormatError(field, id, 'id is already used by a mergeable token');
    if (seenSpecialIds.has(id)) throw new TokenizerFormatError(field, id, 'id is used by two special tokens');
    if (text.length === 0) throw new TokenizerFormatError(field, text, 'special token text is empty');
    seenSpecialIds.add(id);
  }
  merges.forEach(([left, right], rank) => {
    for (const id of [left, right]) {
      if (!Number.isInteger(id) || id < 0 || id >= tokens.length || tokens[id] === undefined)
        throw new TokenizerFormatError(`${fieldPrefix}merges[${rank}]`, id, `names unknown token id ${id}`);
    }
  });
}
