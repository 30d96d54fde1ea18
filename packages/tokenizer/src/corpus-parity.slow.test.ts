// Differential tests over every document of the shared 39.4 MB benchmark corpus. No exceptions list.
import { Tokenizer } from 'tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasSharedCorpus, readSharedCorpus } from '../../../scripts/shared-corpus.js';
import { BpeTokenizer } from './index.js';
import { referenceEncoding, tiktokenTokenizer } from './test-tokenizers.js';

function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe.runIf(hasSharedCorpus)('shared corpus parity', () => {
  let texts: string[] = [];
  beforeAll(() => {
    texts = readSharedCorpus().map((document) => document.text);
  });

  it.each(['cl100k_base', 'o200k_base'] as const)('%s gives tiktoken ids on every document', async (name) => {
    const ours = await tiktokenTokenizer(name);
    const reference = referenceEncoding(name);
    const differing: string[] = [];
    for (const [i, text] of texts.entries()) {
      const at = firstDifference(ours.encode(text), reference.encode(text));
      if (at !== -1) differing.push(`document ${i} at token ${at}`);
    }
    expect(differing).toEqual([]);
    expect(texts.length).toBe(6788);
  });

  it('cl100k through our tokenizer.json gives identical ids, in our loader and in HF tokenizers (Rust)', async () => {
    const ours = await tiktokenTokenizer('cl100k_base');
    const json = JSON.stringify(ours.toHuggingFace());
    const reloaded = BpeTokenizer.fromHuggingFace(json);
    const rust = Tokenizer.fromString(json);
    const differing: string[] = [];
    for (let start = 0; start < texts.length; start += 256) {
      const batch = texts.slice(start, start + 256);
      const rustIds = (await rust.encodeBatch(batch)).map((encoding) => encoding.getIds());
      batch.forEach((text, offset) => {
        const expected = ours.encode(text);
        if (firstDifference(reloaded.encode(text), expected) !== -1)
          differing.push(`reloaded: document ${start + offset}`);
        if (firstDifference(rustIds[offset]!, expected) !== -1)
          differing.push(`rust: document ${start + offset}`);
      });
    }
    expect(differing).toEqual([]);
  });

  it('a tokenizer trained on the corpus (gpt2 pattern) round-trips every document and matches HF tokenizers', async () => {
    const trained = await BpeTokenizer.train(texts.slice(0, 2000), {
      vocabSize: 8192,
      pattern: 'gpt2',
      specialTokens: ['<|endoftext|>'],
    });
    const rust = Tokenizer.fromString(JSON.stringify(trained.toHuggingFace()));
    const differing: string[] = [];
    for (let start = 0; start < texts.length; start += 256) {
      const batch = texts.slice(start, start + 256);
      const rustIds = (await rust.encodeBatch(batch)).map((encoding) => encoding.getIds());
      batch.forEach((text, offset) => {
        const ids = trained.encode(text);
        if (trained.decode(ids) !== text) differing.push(`round trip: document ${start + offset}`);
        if (firstDifference(rustIds[offset]!, ids) !== -1) differing.push(`rust: document ${start + offset}`);
      });
    }
    expect(differing).toEqual([]);
  });
});
