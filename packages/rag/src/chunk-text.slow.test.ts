import { BpeTokenizer } from '@lm-stack/tokenizer';
import { describe, expect, it } from 'vitest';
import { hasSharedCorpus, readSharedCorpus } from '../../../scripts/shared-corpus.js';
import { chunkText } from './chunk-text.js';

describe.runIf(hasSharedCorpus)('chunkText over the 39 MB shared corpus', () => {
  it('every chunk of every document: exact cl100k count within 256, overlaps within 32, text rebuilt', async () => {
    const tokenizer = await BpeTokenizer.fromTiktoken('cl100k_base');
    let chunks = 0;
    let worst = 0;
    for (const { text, id } of readSharedCorpus()) {
      const pieces = chunkText(text, { tokenizer, chunkSize: 256, overlap: 32 });
      let rebuilt = pieces[0]?.text ?? '';
      for (const [i, chunk] of pieces.entries()) {
        const exact = tokenizer.encodeOrdinary(chunk.text).length;
        if (exact !== chunk.tokens || exact > 256)
          expect({ id, i, exact, reported: chunk.tokens }).toBe('exact and ≤ 256');
        worst = Math.max(worst, exact);
        if (i === 0) continue;
        const previous = pieces[i - 1]!;
        const repeated = tokenizer.encodeOrdinary(text.slice(chunk.start, previous.end)).length;
        if (repeated > 32) expect({ id, i, repeated }).toBe('overlap ≤ 32');
        rebuilt += chunk.text.slice(previous.end - chunk.start);
      }
      if (rebuilt !== text) expect(id).toBe('rebuilt');
      chunks += pieces.length;
    }
    console.log(`${chunks} chunks, largest ${worst} tokens`);
    expect(chunks).toBeGreaterThan(10_000);
  }, 300_000);
});
