import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { BpeTokenizer, BYTE_TO_UNICODE, TokenizerFormatError } from './index.js';

const corpus = [
  'The quick brown fox jumps over the lazy dog. __proto__ constructor toString hasOwnProperty',
  "It's 2024: prices rose 3.5% in the U.S. and 4% in Europe — naïve café, 日本語.",
  'constructor constructor __proto__ __proto__ prototype prototype valueOf valueOf',
];

async function trained(): Promise<BpeTokenizer> {
  return BpeTokenizer.train(corpus, {
    vocabSize: 400,
    pattern: 'gpt2',
    specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
    minFrequency: 1,
  });
}

/** A minimal valid Hugging Face tokenizer.json: bytes, one merge "a b" → "ab". */
function minimalHuggingFace(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  BYTE_TO_UNICODE.forEach((char, byte) => {
    vocab[char] = byte;
  });
  vocab.ab = 256;
  return {
    added_tokens: [{ id: 257, content: '<|endoftext|>', special: true }],
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
    model: { type: 'BPE', vocab, merges: ['a b'] },
  };
}

describe('own JSON format', () => {
  it('round-trips through JSON.stringify', async () => {
    const tokenizer = await trained();
    const copy = BpeTokenizer.fromJSON(JSON.stringify(tokenizer));
    expect(copy.definition).toEqual(tokenizer.definition);
    for (const text of corpus) expect(copy.encode(text)).toEqual(tokenizer.encode(text));
  });

  it('names the field of each defect', async () => {
    const good = (await trained()).toJSON();
    const broken = (patch: Record<string, unknown>) => JSON.stringify({ ...good, ...patch });
    expect(() => BpeTokenizer.fromJSON('{"format": ')).toThrow(/not valid JSON/);
    expect(() => BpeTokenizer.fromJSON(broken({ format: 'nope' }))).toThrow(
      /^format: expected "lm-stack-bpe"/,
    );
    expect(() => BpeTokenizer.fromJSON(broken({ version: 2 }))).toThrow(/^version/);
    expect(() => BpeTokenizer.fromJSON(broken({ merges: [[0, 99_999]] }))).toThrow(
      /merges\[0\]: names unknown token id 99999/,
    );
    expect(() => BpeTokenizer.fromJSON(broken({ merges: [[0, -1]] }))).toThrow(/merges\[0\]\[1\]/);
    expect(() => BpeTokenizer.fromJSON(broken({ tokens: ['a', 'a', ...good.tokens.slice(2)] }))).toThrow(
      /same bytes/,
    );
    expect(() => BpeTokenizer.fromJSON(broken({ tokens: ['€'] }))).toThrow(
      /tokens\[0\]: is not in byte-unicode form/,
    );
    expect(() => BpeTokenizer.fromJSON(broken({ specialTokens: [['<s>', 5]] }))).toThrow(
      /already used by a mergeable token/,
    );
    expect(() => BpeTokenizer.fromJSON(broken({ pattern: 'gpt5' }))).toThrow(/^pattern/);
    expect(() => BpeTokenizer.fromJSON(broken({ tokens: good.tokens.slice(0, 255) }))).toThrow(
      TokenizerFormatError,
    );
  });
});

describe('Hugging Face tokenizer.json', () => {
  it('round-trips a trained tokenizer, including tokens named __proto__ and constructor', async () => {
    const tokenizer = await trained();
    const json = JSON.parse(JSON.stringify(tokenizer.toHuggingFace()));
    expect(
      Object.hasOwn(json.model.vocab, 'constructor') || Object.hasOwn(json.model.vocab, 'Ġconstructor'),
    ).toBe(true);
    const copy = BpeTokenizer.fromHuggingFace(json);
    for (const text of corpus) expect(copy.encode(text)).toEqual(tokenizer.encode(text));
    expect(copy.definition.merges).toEqual(tokenizer.definition.merges);
  });

  test.prop([fc.boolean()])('accepts merges as "a b" strings or ["a", "b"] pairs', (asPairs) => {
    const json = minimalHuggingFace();
    if (asPairs) (json.model as { merges: unknown }).merges = [['a', 'b']];
    const tokenizer = BpeTokenizer.fromHuggingFace(json);
    // gpt2 split: "ab", " abc" → [ab] and [" ", ab, c].
    expect(tokenizer.encode('ab abc', { allowedSpecial: 'all' })).toEqual([256, 32, 256, 99]);
    expect(tokenizer.encode('ab<|endoftext|>', { allowedSpecial: 'all' })).toEqual([256, 257]);
  });

  it('names the field of each defect', () => {
    const withModel = (patch: Record<string, unknown>) => {
      const json = minimalHuggingFace();
      return { ...json, model: { ...(json.model as object), ...patch } };
    };
    const vocab = (minimalHuggingFace().model as { vocab: Record<string, number> }).vocab;
    expect(() => BpeTokenizer.fromHuggingFace('{')).toThrow(/tokenizer.json: is not valid JSON/);
    expect(() => BpeTokenizer.fromHuggingFace(withModel({ merges: ['a zz'] }))).toThrow(
      /model.merges\[0\]: names unknown token "zz"/,
    );
    expect(() => BpeTokenizer.fromHuggingFace(withModel({ merges: [] }))).toThrow(/model.merges: is empty/);
    expect(() => BpeTokenizer.fromHuggingFace(withModel({ merges: ['a b c'] }))).toThrow(
      /model.merges\[0\]: expected "left right"/,
    );
    expect(() => BpeTokenizer.fromHuggingFace(withModel({ vocab: { ...vocab, xy: 97 } }))).toThrow(
      /model.vocab\["xy"\]: id is also used by "a"/,
    );
    expect(() => BpeTokenizer.fromHuggingFace(withModel({ vocab: { ...vocab, big: 2 ** 40 } }))).toThrow(
      /model.vocab\["big"\]: expected an integer id/,
    );
    expect(() => BpeTokenizer.fromHuggingFace(withModel({ vocab: { ...vocab, '€': 300 } }))).toThrow(
      /not a byte-level token/,
    );
    expect(() =>
      BpeTokenizer.fromHuggingFace(withModel({ byte_fallback: true, vocab: { ...vocab, '<0x-1>': 300 } })),
    ).toThrow(/model.byte_fallback/);
    expect(() => BpeTokenizer.fromHuggingFace(withModel({ type: 'WordPiece' }))).toThrow(
      /model.type: expected "BPE"/,
    );
    expect(() =>
      BpeTokenizer.fromHuggingFace({ ...minimalHuggingFace(), normalizer: { type: 'NFC' } }),
    ).toThrow(/^normalizer/);
    expect(() =>
      BpeTokenizer.fromHuggingFace({ ...minimalHuggingFace(), pre_tokenizer: { type: 'Whitespace' } }),
    ).toThrow(/pre_tokenizer.type/);
  });

  it('keeps a token named __proto__ as data, not as a prototype', () => {
    const vocab = (minimalHuggingFace().model as { vocab: Record<string, number> }).vocab;
    // The gpt2 split cuts "__proto__" into "__", "proto", "__"; the whole name is still a vocab entry.
    const extra = '"__":301,"pr":302,"pro":303,"prot":304,"proto":305,"__proto__":300,"constructor":306';
    const text = `{"pre_tokenizer":{"type":"ByteLevel","use_regex":true},"model":{"type":"BPE","vocab":${JSON.stringify(vocab).slice(0, -1)},${extra}},"merges":["a b","_ _","p r","pr o","pro t","prot o"]}}`;
    const tokenizer = BpeTokenizer.fromHuggingFace(text);
    expect(tokenizer.encode('__proto__')).toEqual([301, 305, 301]);
    expect(tokenizer.decode([300, 306])).toBe('__proto__constructor');
    const exported = tokenizer.toHuggingFace().model.vocab;
    expect(Object.getPrototypeOf(exported)).toBe(null);
    expect(Object.getOwnPropertyDescriptor(exported, '__proto__')?.value).toBe(300);
  });
});
