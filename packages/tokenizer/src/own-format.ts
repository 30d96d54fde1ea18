import type { BpeDefinition } from './bpe-definition.js';
import { bytesToUnicode, unicodeToBytes } from './byte-unicode.js';
import { TokenizerFormatError } from './errors.js';
import { expectArray, expectId, expectString, objectEntries, parseJson } from './json-guards.js';
import { PATTERN_SOURCES, type Pattern } from './patterns.js';

/** The package's own tokenizer file, version 1. Token bytes are stored in GPT-2's byte-unicode form. */
export interface OwnTokenizerJson {
  readonly format: 'lm-stack-bpe';
  readonly version: 1;
  readonly pattern: Pattern;
  readonly ignoreMerges: boolean;
  /** By id; `null` for unused ids. */
  readonly tokens: (string | null)[];
  /** `[leftId, rightId]` in rank order. */
  readonly merges: [number, number][];
  /** `[text, id]` pairs. */
  readonly specialTokens: [string, number][];
}

export function ownJsonFromDefinition(definition: BpeDefinition): OwnTokenizerJson {
  return {
    format: 'lm-stack-bpe',
    version: 1,
    pattern: definition.pattern,
    ignoreMerges: definition.ignoreMerges,
    tokens: Array.from(definition.tokens, (bytes) => (bytes === undefined ? null : bytesToUnicode(bytes))),
    merges: definition.merges.map(([left, right]) => [left, right]),
    specialTokens: [...definition.specialTokens],
  };
}

function parsePattern(value: unknown): Pattern {
  if (typeof value === 'string') {
    if (Object.hasOwn(PATTERN_SOURCES, value)) return value as keyof typeof PATTERN_SOURCES;
    throw new TokenizerFormatError(
      'pattern',
      value,
      `expected one of ${Object.keys(PATTERN_SOURCES).join(', ')} or { regex }`,
    );
  }
  const fields = objectEntries(value, 'pattern');
  return { regex: expectString(fields.get('regex'), 'pattern.regex') };
}

export function definitionFromOwnJson(json: string | unknown): BpeDefinition {
  const fields = objectEntries(parseJson(json, 'tokenizer JSON'), 'tokenizer JSON');
  if (fields.get('format') !== 'lm-stack-bpe')
    throw new TokenizerFormatError('format', fields.get('format'), 'expected "lm-stack-bpe"');
  if (fields.get('version') !== 1)
    throw new TokenizerFormatError('version', fields.get('version'), 'expected 1');
  const ignoreMerges = fields.get('ignoreMerges');
  if (typeof ignoreMerges !== 'boolean')
    throw new TokenizerFormatError('ignoreMerges', ignoreMerges, 'expected a boolean');
  const tokens = expectArray(fields.get('tokens'), 'tokens').map((token, id) => {
    if (token === null) return undefined;
    const bytes = unicodeToBytes(expectString(token, `tokens[${id}]`));
    if (bytes === undefined)
      throw new TokenizerFormatError(`tokens[${id}]`, token, 'is not in byte-unicode form');
    return bytes;
  });
  const merges = expectArray(fields.get('merges'), 'merges').map((merge, rank) => {
    const pair = expectArray(merge, `merges[${rank}]`, 2);
    if (pair.length !== 2)
      throw new TokenizerFormatError(`merges[${rank}]`, merge, 'expected [leftId, rightId]');
    return [expectId(pair[0], `merges[${rank}][0]`), expectId(pair[1], `merges[${rank}][1]`)] as const;
  });
  const specialTokens = new Map<string, number>();
  expectArray(fields.get('specialTokens'), 'specialTokens').forEach((entry, i) => {
    const pair = expectArray(entry, `specialTokens[${i}]`, 2);
    const text = expectString(pair[0], `specialTokens[${i}][0]`);
    if (specialTokens.has(text)) throw new TokenizerFormatError(`specialTokens[${i}]`, text, 'appears twice');
    specialTokens.set(text, expectId(pair[1], `specialTokens[${i}][1]`));
  });
  return { tokens, merges, specialTokens, pattern: parsePattern(fields.get('pattern')), ignoreMerges };
}
