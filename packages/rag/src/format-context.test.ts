import { BpeTokenizer } from '@lm-stack/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatContext } from './format-context.js';
import type { SearchHit } from './search-types.js';

let tokenizer: BpeTokenizer;
beforeAll(async () => {
  tokenizer = await BpeTokenizer.fromTiktoken('cl100k_base');
});
const hit = (id: number, text: string, page?: number): SearchHit => ({
  id,
  filename: `/data/file-${id}.pdf`,
  chunkIndex: 0,
  text,
  score: 1 / id,
  ranks: { bm25: id },
  metadata: {
    source: `/data/file-${id}.pdf`,
    sha256: '',
    title: `Title ${id}`,
    format: 'pdf',
    start: 0,
    end: text.length,
    tokens: 0,
    ...(page ? { page } : {}),
  },
});

describe('formatContext', () => {
  it('numbers the hits that fit the budget whole, skipping one that does not', () => {
    const hits = [hit(1, 'Short answer.', 3), hit(2, 'word '.repeat(200)), hit(3, 'Another short one.')];
    const { text, tokens, used } = formatContext(hits, { tokenizer, maxTokens: 40 });
    expect(text).toBe(
      '[1] file-1.pdf, p. 3 — Title 1\nShort answer.\n\n[2] file-3.pdf — Title 3\nAnother short one.',
    );
    expect(used.map((entry) => entry.id)).toEqual([1, 3]);
    expect(tokens).toBe(tokenizer.encodeOrdinary(text).length);
    expect(tokens).toBeLessThanOrEqual(40);
    expect(formatContext(hits, { tokenizer, maxTokens: 3 }).used).toEqual([]);
  });
});
