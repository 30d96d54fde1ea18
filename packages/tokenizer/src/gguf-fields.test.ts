import { describe, expect, it } from 'vitest';
import { BpeTokenizer, CHATML, GGUF_TOKEN_TYPE, TokenizerFormatError, toJinja } from './index.js';
import { tiktokenTokenizer } from './test-tokenizers.js';

describe('toGgufFields', () => {
  it('lists tokens in byte-unicode form with types, merges and special ids', async () => {
    const tokenizer = await BpeTokenizer.train(['aa aa aa'], {
      vocabSize: 260,
      pattern: 'gpt2',
      specialTokens: ['<|endoftext|>', '<|im_end|>'],
      minFrequency: 1,
    });
    const fields = tokenizer.toGgufFields({
      bos: '<|endoftext|>',
      eos: '<|im_end|>',
      eot: '<|im_end|>',
      chatTemplate: toJinja(CHATML),
    });
    // Merges on "aa", " aa", " aa": (a,a)=3 → 256 "aa"; (" ", aa)=2 → 257 "Ġaa".
    expect(fields.merges).toEqual(['a a', 'Ġ aa']);
    expect(fields.tokens.slice(256)).toEqual(['aa', 'Ġaa', '<|endoftext|>', '<|im_end|>']);
    expect(fields.tokens[0]).toBe('Ā'); // byte 0x00 → U+0100
    expect(fields.tokens[32]).toBe('Ġ'); // space → U+0120
    expect(fields.tokenTypes.slice(255)).toEqual([1, 1, 1, GGUF_TOKEN_TYPE.control, GGUF_TOKEN_TYPE.control]);
    expect(fields).toMatchObject({
      model: 'gpt2',
      pre: 'gpt-2',
      bosTokenId: 258,
      eosTokenId: 259,
      eotTokenId: 259,
      addBosToken: false,
    });
    expect(fields.chatTemplate).toContain("message['role']");
  });

  it('fills id gaps (cl100k has unused ids between specials) and maps the pattern to llama.cpp names', async () => {
    const fields = (await tiktokenTokenizer('cl100k_base')).toGgufFields();
    expect(fields.tokens).toHaveLength(100_277);
    expect(fields.tokens[100_270]).toBe('[UNUSED_100270]');
    expect(fields.tokenTypes[100_270]).toBe(GGUF_TOKEN_TYPE.unused);
    expect(fields.pre).toBe('llama-bpe');
  });

  it('refuses unknown special roles and custom patterns', async () => {
    const tokenizer = await BpeTokenizer.train(['x'], { vocabSize: 256 });
    expect(() => tokenizer.toGgufFields({ bos: '<s>' })).toThrow(TokenizerFormatError);
    const custom = new BpeTokenizer({ ...tokenizer.definition, pattern: { regex: '\\S+|\\s+' } });
    expect(() => custom.toGgufFields()).toThrow(/no llama.cpp pre-tokenizer name/);
  });
});
