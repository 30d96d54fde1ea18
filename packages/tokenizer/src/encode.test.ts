import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  BpeTokenizer,
  DisallowedSpecialTokenError,
  StreamingDecoder,
  TokenizerFormatError,
  UnknownTokenIdError,
} from './index.js';
import { EDGE_STRINGS, referenceEncoding, tiktokenTokenizer } from './test-tokenizers.js';

const encodings = ['cl100k_base', 'o200k_base'] as const;

describe.each(encodings)('%s against tiktoken', (name) => {
  it.each(Object.entries(EDGE_STRINGS))('%s', async (_, text) => {
    const ours = await tiktokenTokenizer(name);
    expect(ours.encode(text)).toEqual(Array.from(referenceEncoding(name).encode(text)));
    // Lone surrogates are encoded as TextEncoder does (U+FFFD), so only well-formed text round-trips exactly.
    expect(ours.decode(ours.encode(text))).toBe(text.toWellFormed());
  });

  test.prop([
    fc.string({
      unit: fc.constantFrom(
        ' ',
        '  ',
        '\n',
        '\r\n',
        '\t',
        '\u0085',
        '\ufeff',
        '\u00a0',
        'a',
        'Z',
        'é',
        "'s",
        "'LL",
        '9',
        '42',
        '日本',
        '👋🏽',
        '\u0301',
        '.',
        '/',
        '<|',
      ),
      maxLength: 40,
    }),
  ])('tricky fragments give tiktoken ids', async (text) => {
    const ours = await tiktokenTokenizer(name);
    expect(ours.encode(text)).toEqual(Array.from(referenceEncoding(name).encode(text)));
  });

  test.prop([fc.string({ unit: 'grapheme', maxLength: 60 })])(
    'any grapheme text gives tiktoken ids',
    async (text) => {
      const ours = await tiktokenTokenizer(name);
      expect(ours.encode(text)).toEqual(Array.from(referenceEncoding(name).encode(text)));
      expect(ours.decode(ours.encode(text))).toBe(text);
    },
  );
});

const PATHOLOGICAL = ['a', '^', ' ', '\n', '7', 'ab', ' \n', 'é'];

describe('pathological input', () => {
  // tiktoken's own encoder is quadratic here (about 20 s for 200,000 spaces) and panics at 1,000,000,
  // so it is the reference at 10,000 characters; the heap merge path is checked against a naive one below.
  it.each(PATHOLOGICAL)('%j × 10,000 matches tiktoken', async (unit) => {
    const text = unit.repeat(10_000);
    const ours = await tiktokenTokenizer('cl100k_base');
    expect(ours.encode(text)).toEqual(Array.from(referenceEncoding('cl100k_base').encode(text)));
  });

  it.each(PATHOLOGICAL)('%j × 1,000,000 encodes without overflow and round-trips', async (unit) => {
    const text = unit.repeat(1_000_000);
    const ours = await tiktokenTokenizer('cl100k_base');
    const ids = ours.encode(text);
    expect(ours.decode(ids)).toBe(text);
    expect(ids.length).toBeLessThanOrEqual(new TextEncoder().encode(text).length / 2);
  });
});

describe('special tokens (tiktoken semantics)', () => {
  it('refuses special-token text unless allowed, naming the token and offset', async () => {
    const ours = await tiktokenTokenizer('cl100k_base');
    expect(() => ours.encode('hi <|endoftext|>')).toThrow(DisallowedSpecialTokenError);
    expect(() => ours.encode('hi <|endoftext|>')).toThrow(/"<\|endoftext\|>" at UTF-16 offset 3/);
    expect(ours.encode('hi <|endoftext|>', { allowedSpecial: 'all' })).toEqual([6151, 220, 100257]);
    expect(
      ours.encode('a<|fim_prefix|>b<|endoftext|>', {
        allowedSpecial: ['<|endoftext|>'],
        disallowedSpecial: [],
      }),
    ).toEqual(
      Array.from(
        referenceEncoding('cl100k_base').encode('a<|fim_prefix|>b<|endoftext|>', ['<|endoftext|>'], []),
      ),
    );
    expect(ours.encodeOrdinary('<|endoftext|>')).toEqual(
      Array.from(referenceEncoding('cl100k_base').encode_ordinary('<|endoftext|>')),
    );
    expect(() => ours.encode('x', { allowedSpecial: ['<|nope|>'] })).toThrow(TokenizerFormatError);
  });

  test.prop([
    fc.array(fc.constantFrom('plain ', '<|endoftext|>', '<|fim_middle|>', 'x<|', '|>', ' 😀'), {
      maxLength: 12,
    }),
  ])('allowed specials match tiktoken', async (parts) => {
    const text = parts.join('');
    const ours = await tiktokenTokenizer('cl100k_base');
    expect(ours.encode(text, { allowedSpecial: 'all' })).toEqual(
      Array.from(referenceEncoding('cl100k_base').encode(text, 'all')),
    );
  });
});

describe('batch, offsets, decoding', () => {
  test.prop([fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { maxLength: 8 })])(
    'encodeBatch equals mapped encode',
    async (texts) => {
      const ours = await tiktokenTokenizer('o200k_base');
      expect(ours.encodeBatch(texts)).toEqual(texts.map((text) => ours.encode(text)));
    },
  );

  test.prop([fc.string({ unit: 'grapheme', maxLength: 50 })])(
    'offsets cover the text in order',
    async (text) => {
      const ours = await tiktokenTokenizer('cl100k_base');
      const tokens = ours.encodeWithOffsets(text);
      expect(tokens.map((token) => token.id)).toEqual(ours.encode(text));
      let covered = 0;
      for (const token of tokens) {
        expect(token.start).toBeLessThanOrEqual(covered); // a token may share a character with the previous one
        expect(token.end).toBeGreaterThan(token.start);
        covered = token.end;
      }
      expect(covered).toBe(text.length);
    },
  );

  it('gives offsets of a worked example', async () => {
    const ours = await tiktokenTokenizer('cl100k_base');
    // "hello world<|endoftext|>" → "hello" [0,5), " world" [5,11), special [11,24).
    expect(ours.encodeWithOffsets('hello world<|endoftext|>', { allowedSpecial: 'all' })).toEqual([
      { id: 15339, start: 0, end: 5 },
      { id: 1917, start: 5, end: 11 },
      { id: 100257, start: 11, end: 24 },
    ]);
  });

  it('raises a typed error for unknown ids', async () => {
    const ours = await tiktokenTokenizer('cl100k_base');
    expect(() => ours.decode([100_270])).toThrow(UnknownTokenIdError); // a gap between cl100k's special ids
    expect(() => ours.decode([-1])).toThrow(/outside the vocabulary \[0, 100277\)/);
    expect(() => ours.decode([1.5])).toThrow(UnknownTokenIdError);
  });

  it('streams text without breaking characters split across tokens', async () => {
    const ours = await tiktokenTokenizer('cl100k_base');
    const ids = ours.encode('🦜 parrots 🦜');
    const perToken = ids.map((id) => ours.decodeBytes([id]).length);
    expect(perToken.some((length) => length < 4)).toBe(true); // the emoji's 4 bytes are split over tokens
    const decoder = new StreamingDecoder(ours);
    const pieces = ids.map((id) => decoder.push(id));
    expect(pieces.join('') + decoder.flush()).toBe('🦜 parrots 🦜');
    expect(pieces.some((piece) => piece.includes('\ufffd'))).toBe(false);
  });
});

describe('a tokenizer without ignoreMerges', () => {
  it('uses merges, not whole-token lookups, for chunks whose BPE differs', () => {
    // Vocab has "abc" but only the merges (a,b) and (ab, c)... and the chunk "bc" exists as token
    // without a merge: BPE never reaches it, so "bc" encodes as b, c.
    const bytes = (text: string) => new TextEncoder().encode(text);
    const tokens = Array.from({ length: 256 }, (_, byte) => Uint8Array.of(byte));
    tokens.push(bytes('ab'), bytes('abc'), bytes('bc'));
    const tokenizer = new BpeTokenizer({
      tokens,
      merges: [
        [97, 98],
        [256, 99],
      ],
      specialTokens: new Map(),
      pattern: 'gpt2',
      ignoreMerges: false,
    });
    expect(tokenizer.encode('abc')).toEqual([257]);
    expect(tokenizer.encode('bc')).toEqual([98, 99]);
    const whole = new BpeTokenizer({ ...tokenizer.definition, ignoreMerges: true });
    expect(whole.encode('bc')).toEqual([258]);
  });
});
