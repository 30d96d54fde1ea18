import type { BpeDefinition } from './bpe-definition.js';
import { bytesToUnicode, unicodeToBytes } from './byte-unicode.js';
import { TokenizerFormatError } from './errors.js';
import { expectArray, expectId, expectString, MAX_VOCAB, objectEntries, parseJson } from './json-guards.js';
import { type Pattern, patternNameOf, patternSource } from './patterns.js';

/** The subset of a Hugging Face `tokenizer.json` this package reads and writes (ByteLevel BPE). */
export interface HuggingFaceTokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: Array<{
    id: number;
    content: string;
    single_word: boolean;
    lstrip: boolean;
    rstrip: boolean;
    normalized: boolean;
    special: boolean;
  }>;
  normalizer: null;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: [string, string][];
  };
}

const BYTE_LEVEL = {
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: true,
} as const;

function preTokenizerFor(pattern: Pattern): unknown {
  if (pattern === 'gpt2') return BYTE_LEVEL;
  return {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: patternSource(pattern) }, behavior: 'Isolated', invert: false },
      { ...BYTE_LEVEL, use_regex: false },
    ],
  };
}

export function huggingFaceFromDefinition(definition: BpeDefinition): HuggingFaceTokenizerJson {
  // A null-prototype object: a token spelled "__proto__" must become an own key, not the prototype.
  const vocab = Object.create(null) as Record<string, number>;
  const names: (string | undefined)[] = [];
  definition.tokens.forEach((bytes, id) => {
    if (bytes === undefined) return;
    names[id] = bytesToUnicode(bytes);
    vocab[names[id]!] = id;
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...definition.specialTokens].map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: preTokenizerFor(definition.pattern),
    post_processor: { ...BYTE_LEVEL, trim_offsets: false },
    decoder: BYTE_LEVEL,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: definition.ignoreMerges,
      vocab,
      merges: definition.merges.map(([left, right]) => [names[left]!, names[right]!]),
    },
  };
}

/** Reads the pattern from `pre_tokenizer`: plain ByteLevel (GPT-2 regex) or Sequence[Split, ByteLevel]. */
function patternOf(preTokenizer: unknown): Pattern {
  const fields = objectEntries(preTokenizer, 'pre_tokenizer');
  const checkByteLevel = (byteLevel: Map<string, unknown>, field: string, useRegex: boolean) => {
    if (byteLevel.get('type') !== 'ByteLevel')
      throw new TokenizerFormatError(`${field}.type`, byteLevel.get('type'), 'expected "ByteLevel"');
    if (byteLevel.get('add_prefix_space') === true)
      throw new TokenizerFormatError(
        `${field}.add_prefix_space`,
        true,
        'is not supported (byte-level BPE without prefix space)',
      );
    if ((byteLevel.get('use_regex') ?? true) !== useRegex)
      throw new TokenizerFormatError(
        `${field}.use_regex`,
        byteLevel.get('use_regex'),
        `expected ${useRegex}`,
      );
  };
  if (fields.get('type') === 'ByteLevel') {
    checkByteLevel(fields, 'pre_tokenizer', true);
    return 'gpt2';
  }
  if (fields.get('type') !== 'Sequence')
    throw new TokenizerFormatError(
      'pre_tokenizer.type',
      fields.get('type'),
      'expected "ByteLevel" or "Sequence"',
    );
  const steps = expectArray(fields.get('pretokenizers'), 'pre_tokenizer.pretokenizers', 8);
  if (steps.length !== 2)
    throw new TokenizerFormatError(
      'pre_tokenizer.pretokenizers',
      steps.length,
      'expected [Split, ByteLevel]',
    );
  const split = objectEntries(steps[0], 'pre_tokenizer.pretokenizers[0]');
  if (split.get('type') !== 'Split' || split.get('behavior') !== 'Isolated' || split.get('invert') === true)
    throw new TokenizerFormatError(
      'pre_tokenizer.pretokenizers[0]',
      split.get('type'),
      'expected an Isolated, non-inverted Split',
    );
  const regex = expectString(
    objectEntries(split.get('pattern'), 'pre_tokenizer.pretokenizers[0].pattern').get('Regex'),
    'pre_tokenizer.pretokenizers[0].pattern.Regex',
  );
  checkByteLevel(
    objectEntries(steps[1], 'pre_tokenizer.pretokenizers[1]'),
    'pre_tokenizer.pretokenizers[1]',
    false,
  );
  return patternNameOf(regex) ?? { regex };
}

/** Splits a merge given as `"a b"` or `["a", "b"]`. */
function mergeParts(merge: unknown, field: string): [string, string] {
  if (typeof merge === 'string') {
    const space = merge.indexOf(' ');
    if (space <= 0 || space === merge.length - 1 || merge.indexOf(' ', space + 1) !== -1)
      throw new TokenizerFormatError(field, merge, 'expected "left right"');
    return [merge.slice(0, space), merge.slice(space + 1)];
  }
  const pair = expectArray(merge, field, 2);
  if (pair.length !== 2) throw new TokenizerFormatError(field, merge, 'expected ["left", "right"]');
  return [expectString(pair[0], `${field}[0]`), expectString(pair[1], `${field}[1]`)];
}

export function definitionFromHuggingFace(json: string | unknown): BpeDefinition {
  const root = objectEntries(parseJson(json, 'tokenizer.json'), 'tokenizer.json');
  const model = objectEntries(root.get('model'), 'model');
  if ((model.get('type') ?? 'BPE') !== 'BPE')
    throw new TokenizerFormatError('model.type', model.get('type'), 'expected "BPE"');
  if (model.get('byte_fallback') === true)
    throw new TokenizerFormatError(
      'model.byte_fallback',
      true,
      'byte-fallback (SentencePiece-style) models are not byte-level BPE',
    );
  for (const key of ['continuing_subword_prefix', 'end_of_word_suffix', 'dropout'] as const) {
    const value = model.get(key);
    if (value !== undefined && value !== null)
      throw new TokenizerFormatError(`model.${key}`, value, 'is not supported');
  }
  if (root.get('normalizer') !== undefined && root.get('normalizer') !== null)
    throw new TokenizerFormatError('normalizer', root.get('normalizer'), 'normalizers are not supported');

  const added = new Map<string, number>();
  expectArray(root.get('added_tokens') ?? [], 'added_tokens').forEach((entry, i) => {
    const fields = objectEntries(entry, `added_tokens[${i}]`);
    const content = expectString(fields.get('content'), `added_tokens[${i}].content`);
    if (added.has(content))
      throw new TokenizerFormatError(`added_tokens[${i}].content`, content, 'appears twice');
    added.set(content, expectId(fields.get('id'), `added_tokens[${i}].id`));
  });

  const vocab = objectEntries(model.get('vocab'), 'model.vocab');
  if (vocab.size > MAX_VOCAB)
    throw new TokenizerFormatError('model.vocab', vocab.size, `exceeds ${MAX_VOCAB} entries`);
  const idOf = new Map<string, number>();
  const tokens: (Uint8Array | undefined)[] = [];
  const nameOfId = new Map<number, string>();
  for (const [name, value] of vocab) {
    const field = `model.vocab[${JSON.stringify(name)}]`;
    const id = expectId(value, field);
    if (added.get(name) === id) continue; // an added token also listed in the vocab, as GPT-2's file does
    const other = nameOfId.get(id);
    if (other !== undefined)
      throw new TokenizerFormatError(field, id, `id is also used by ${JSON.stringify(other)}`);
    const bytes = unicodeToBytes(name);
    if (bytes === undefined || bytes.length === 0)
      throw new TokenizerFormatError(
        field,
        name,
        'is not a byte-level token (a character outside the GPT-2 byte alphabet)',
      );
    nameOfId.set(id, name);
    idOf.set(name, id);
    tokens[id] = bytes;
  }
  for (const [content, id] of added) {
    if (nameOfId.has(id))
      throw new TokenizerFormatError(
        `added_tokens`,
        id,
        `id of ${JSON.stringify(content)} is also a vocab token`,
      );
  }

  const rawMerges = expectArray(model.get('merges'), 'model.merges');
  if (rawMerges.length === 0)
    throw new TokenizerFormatError('model.merges', 0, 'is empty: a BPE model needs merges');
  const merges = rawMerges.map((merge, rank) => {
    const field = `model.merges[${rank}]`;
    const [left, right] = mergeParts(merge, field);
    const leftId = idOf.get(left);
    const rightId = idOf.get(right);
    if (leftId === undefined)
      throw new TokenizerFormatError(field, left, `names unknown token ${JSON.stringify(left)}`);
    if (rightId === undefined)
      throw new TokenizerFormatError(field, right, `names unknown token ${JSON.stringify(right)}`);
    if (!idOf.has(left + right))
      throw new TokenizerFormatError(
        field,
        `${left} ${right}`,
        `produces ${JSON.stringify(left + right)}, which is not in the vocab`,
      );
    return [leftId, rightId] as const;
  });

  const ignoreMerges = model.get('ignore_merges') ?? false;
  if (typeof ignoreMerges !== 'boolean')
    throw new TokenizerFormatError('model.ignore_merges', ignoreMerges, 'expected a boolean');
  return {
    tokens,
    merges,
    specialTokens: added,
    pattern: patternOf(root.get('pre_tokenizer')),
    ignoreMerges,
  };
}
