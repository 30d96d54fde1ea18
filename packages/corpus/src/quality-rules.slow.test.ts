import { describe, expect, it } from 'vitest';
import { hasSharedCorpus, readSharedCorpus } from '../../../scripts/shared-corpus.js';
import { contentKey } from './exact-dedup.js';
import { prepareText } from './prepare.js';
import { c4Lines, gopherQuality, gopherRepetition, guessLanguage, STOP_WORD_LISTS } from './quality-rules.js';
import {
  referenceC4Lines,
  referenceFoldedText,
  referenceGopherQuality,
  referenceGopherRepetition,
  referenceGuessLanguage,
} from './testing/reference-rules.js';

// The fast rules on every document of the 39 MB shared corpus (prepared, before and after the C4 line
// filter) give exactly the reference's rule and value.
describe.runIf(hasSharedCorpus)('quality rules on the whole shared corpus', () => {
  it('equal the plain-string reference on every document', () => {
    let compared = 0;
    const keys = new Set<string>();
    const folded = new Set<string>();
    for (const document of readSharedCorpus()) {
      const prepared = prepareText(document.text);
      const c4 = c4Lines(prepared);
      expect(c4).toEqual(referenceC4Lines(prepared));
      const texts = [prepared, ...('text' in c4 ? [c4.text] : [])];
      for (const sample of texts) {
        expect(gopherQuality(sample)).toEqual(referenceGopherQuality(sample));
        expect(gopherRepetition(sample)).toEqual(referenceGopherRepetition(sample));
        expect(guessLanguage(sample)).toEqual(referenceGuessLanguage(sample, STOP_WORD_LISTS.languages));
        compared++;
      }
      keys.add(contentKey(prepared));
      folded.add(referenceFoldedText(prepared));
    }
    expect(compared).toBeGreaterThan(6788);
    expect(keys.size).toBe(folded.size); // no two different texts share a key
  }, 120_000);
});
