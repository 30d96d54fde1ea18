import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { contentKey } from './exact-dedup.js';
import { c4Lines, gopherQuality, gopherRepetition, guessLanguage, STOP_WORD_LISTS } from './quality-rules.js';
import {
  referenceC4Lines,
  referenceFoldedText,
  referenceGopherQuality,
  referenceGopherRepetition,
  referenceGuessLanguage,
} from './testing/reference-rules.js';

// Pieces chosen to hit every branch of the single-pass scanner: stop words in any case and with punctuation
// around them, German, Unicode whitespace (NBSP, U+2028, U+3000), astral letters and emoji (surrogate pairs),
// a lone surrogate, "İ" (lower-cases to two units), dot runs and "…", "#", bullets, terminal punctuation.
const WORDS = [
  'the',
  'The',
  'THE',
  'and',
  'of',
  'to',
  'with',
  'that',
  'have',
  'be',
  '"the"',
  '(and)',
  'the,',
  "don't",
  'der',
  'und',
  'für',
  'dass',
  'werden',
  'Hund',
  'whale',
  'sea',
  'sailed',
  'İstanbul',
  'straße',
  'Καλημέρα',
  'naïve',
  'cafe\u0301',
  '𝒳',
  '😀',
  '\ud800',
  '$5',
  '+',
  '#',
  '#tag',
  '...',
  '....',
  '......',
  '…',
  'wait...',
  '.',
  '!?',
  '—',
  '-',
  '•',
  '*',
  '1999',
  'lorem',
  'ipsum',
  'javascript',
  'Cookie',
  'policy',
  '{',
  'x'.repeat(40),
];
const SEPARATORS = [
  ' ',
  ' ',
  ' ',
  '  ',
  '\t',
  '\n',
  '\n',
  '\n\n',
  '\n\n\n',
  ' \n',
  '\u00a0',
  '\u2028',
  '\u3000',
  '\n- ',
  '\n• ',
];
const sentence = fc
  .array(fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...SEPARATORS)), { maxLength: 40 })
  .map((pairs) => pairs.map(([word, separator]) => word + separator).join(''));
// Repetition: some texts repeat a chunk, so the duplicate-line and n-gram rules fire as often as they pass.
const text = fc.oneof(
  sentence,
  fc
    .tuple(sentence, fc.integer({ min: 2, max: 6 }), sentence)
    .map(([chunk, times, tail]) => chunk.repeat(times) + tail),
);

describe('the single-pass rules equal the plain-string reference', () => {
  test.prop([text], { numRuns: 400 })('gopherQuality', (sample) => {
    expect(gopherQuality(sample)).toEqual(referenceGopherQuality(sample));
    // With low thresholds every later rule is reached too.
    const lenient = {
      minWords: 0,
      maxWords: 1e9,
      minMeanWordLength: 0,
      maxMeanWordLength: 1e9,
      maxSymbolToWordRatio: 1e9,
      maxBulletLineRatio: 0.2,
      maxEllipsisLineRatio: 0.2,
      minAlphabeticWordRatio: 0.9,
      minStopWords: 3,
    };
    expect(gopherQuality(sample, lenient)).toEqual(referenceGopherQuality(sample, lenient));
  });
  test.prop([text], { numRuns: 400 })('gopherRepetition', (sample) => {
    expect(gopherRepetition(sample)).toEqual(referenceGopherRepetition(sample));
  });
  test.prop([text], { numRuns: 400 })('c4Lines', (sample) => {
    expect(c4Lines(sample)).toEqual(referenceC4Lines(sample));
  });
  test.prop([text], { numRuns: 400 })('guessLanguage', (sample) => {
    expect(guessLanguage(sample)).toEqual(referenceGuessLanguage(sample, STOP_WORD_LISTS.languages));
  });
  test.prop([text, text], { numRuns: 400 })(
    'contentKey: equal keys exactly when the folded NFC texts are equal',
    (a, b) => {
      expect(contentKey(a) === contentKey(b)).toBe(referenceFoldedText(a) === referenceFoldedText(b));
    },
  );
});

describe('worked examples', () => {
  it('counts symbols as the regex does', () => {
    // "#" ×2, "...." = one "..." (non-overlapping), "……" = 2, "......" = 2: 7 symbols over 55 words = 0.127.
    const sample = `${'word '.repeat(50)}#a #b .... …… ......`;
    expect(gopherQuality(sample)).toEqual({ rule: 'gopher.symbol_to_word_ratio', value: 7 / 55, limit: 0.1 });
  });
  it('follows a repeated 7-gram through n = 5, 6, 7 and stops at 8', () => {
    // 60 distinct 3-letter words, then words 0–6 again: 67 × 3 = 201 characters. The repeated 5-grams
    // (at 60, 61, 62) cover words 60–66: 21/201 = 0.104 ≤ 0.15, but above 0.10, so n = 6 (0.104 ≤ 0.14)
    // and n = 7 (0.104 ≤ 0.13) are measured too; n = 8 repeats nothing. Top 2-gram: 6 × 2 / 201 = 0.06.
    const list = Array.from({ length: 60 }, (_, i) => `w${String(i).padStart(2, '0')}`);
    const sample = [...list, ...list.slice(0, 7)].join(' ');
    expect(gopherRepetition(sample)).toBeUndefined();
    expect(referenceGopherRepetition(sample)).toBeUndefined();
  });
});
