// Document quality rules. Thresholds are the published ones:
// Gopher: Rae et al. 2021, "Scaling Language Models: Methods, Analysis & Insights from Training Gopher",
//   Appendix A.1.1 (quality filter) and Table A1 (repetition filter).
// C4: Raffel et al. 2020, §2.2, with the defaults of datatrove's C4QualityFilter (5 sentences, 3 words a line).

import { classOf, SPACE } from './character-classes.js';
import { NgramRepetition } from './ngram-repetition.js';
import { type StopWordLists, scanWordsCached, type WordScan } from './word-scan.js';

/** Why a document was excluded: the rule, the measured value and the limit it broke. */
export interface Exclusion {
  readonly rule: string;
  readonly value: number;
  readonly limit: number;
}

/** Thresholds of the Gopher quality filter. */
export interface GopherQualityLimits {
  readonly minWords: number;
  readonly maxWords: number;
  readonly minMeanWordLength: number;
  readonly maxMeanWordLength: number;
  readonly maxSymbolToWordRatio: number;
  readonly maxBulletLineRatio: number;
  readonly maxEllipsisLineRatio: number;
  readonly minAlphabeticWordRatio: number;
  readonly minStopWords: number;
}

/** Gopher's published values. */
export const GOPHER_QUALITY: GopherQualityLimits = {
  minWords: 50,
  maxWords: 100_000,
  minMeanWordLength: 3,
  maxMeanWordLength: 10,
  maxSymbolToWordRatio: 0.1,
  maxBulletLineRatio: 0.9,
  maxEllipsisLineRatio: 0.3,
  minAlphabeticWordRatio: 0.8,
  minStopWords: 2,
};

const GOPHER_STOP_WORDS = new Set(['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with']);
const BULLETS = new Set([...'-*•●◦‣▪○·'].map((character) => character.charCodeAt(0)));

/**
 * The words of a text: split on whitespace (`\s+`), empty pieces dropped.
 *
 * @example
 * ```ts
 * words(' a  b\tc\n'); // ['a', 'b', 'c']
 * ```
 */
export function words(text: string): string[] {
  return text.split(/\s+/u).filter((word) => word.length > 0);
}

/** The word scan of `text` (the last one is kept: the filter runs several rules on the same text). */
function scanOf(text: string): WordScan {
  return scanWordsCached(text, STOP_WORD_LISTS);
}

function isSpace(code: number): boolean {
  return code < 128 ? code === 32 || (code >= 9 && code <= 13) : (classOf(code) & SPACE) !== 0;
}

/** Non-blank lines, and among them those starting with a bullet and those ending in an ellipsis. */
function lineShapes(text: string): { lines: number; bullets: number; ellipses: number } {
  let lines = 0;
  let bullets = 0;
  let ellipses = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let first = start;
    while (first < end && isSpace(text.charCodeAt(first))) first++;
    if (first < end) {
      let last = end - 1;
      while (isSpace(text.charCodeAt(last))) last--;
      lines++;
      if (BULLETS.has(text.charCodeAt(first))) bullets++;
      const code = text.charCodeAt(last);
      if (code === 0x2026 || (code === 46 && last - first >= 2 && text.startsWith('..', last - 2)))
        ellipses++;
    }
    start = end + 1;
  }
  return { lines, bullets, ellipses };
}

/**
 * Gopher's quality rules; returns the first rule a document breaks, or undefined when it passes.
 *
 * @example
 * ```ts
 * gopherQuality('too short'); // { rule: 'gopher.min_words', value: 2, limit: 50 }
 * ```
 */
export function gopherQuality(
  text: string,
  limits: GopherQualityLimits = GOPHER_QUALITY,
): Exclusion | undefined {
  const scan = scanOf(text);
  const real = scan.realWords; // words that are not just symbols
  if (real < limits.minWords) return { rule: 'gopher.min_words', value: real, limit: limits.minWords };
  if (real > limits.maxWords) return { rule: 'gopher.max_words', value: real, limit: limits.maxWords };
  const meanLength = scan.realCodePoints / real;
  if (meanLength < limits.minMeanWordLength)
    return { rule: 'gopher.min_mean_word_length', value: meanLength, limit: limits.minMeanWordLength };
  if (meanLength > limits.maxMeanWordLength)
    return { rule: 'gopher.max_mean_word_length', value: meanLength, limit: limits.maxMeanWordLength };
  if (scan.symbols / scan.count > limits.maxSymbolToWordRatio)
    return {
      rule: 'gopher.symbol_to_word_ratio',
      value: scan.symbols / scan.count,
      limit: limits.maxSymbolToWordRatio,
    };
  const shapes = lineShapes(text);
  const bulletRatio = shapes.bullets / Math.max(1, shapes.lines);
  if (bulletRatio > limits.maxBulletLineRatio)
    return { rule: 'gopher.bullet_lines', value: bulletRatio, limit: limits.maxBulletLineRatio };
  const ellipsisRatio = shapes.ellipses / Math.max(1, shapes.lines);
  if (ellipsisRatio > limits.maxEllipsisLineRatio)
    return { rule: 'gopher.ellipsis_lines', value: ellipsisRatio, limit: limits.maxEllipsisLineRatio };
  const alphabetic = scan.alphabeticWords / scan.count;
  if (alphabetic < limits.minAlphabeticWordRatio)
    return { rule: 'gopher.alphabetic_words', value: alphabetic, limit: limits.minAlphabeticWordRatio };
  if (scan.gopherStopWords < limits.minStopWords)
    return { rule: 'gopher.stop_words', value: scan.gopherStopWords, limit: limits.minStopWords };
  return undefined;
}

/** Gopher Table A1: repetition limits as fractions. */
export const GOPHER_REPETITION = {
  duplicateLineFraction: 0.3,
  duplicateParagraphFraction: 0.3,
  duplicateLineCharacterFraction: 0.2,
  duplicateParagraphCharacterFraction: 0.2,
  /** Top n-gram character fraction for n = 2, 3, 4. */
  topNgram: [
    [2, 0.2],
    [3, 0.18],
    [4, 0.16],
  ] as ReadonlyArray<readonly [number, number]>,
  /** Duplicated n-gram character fraction for n = 5 … 10. */
  duplicatedNgram: [
    [5, 0.15],
    [6, 0.14],
    [7, 0.13],
    [8, 0.12],
    [9, 0.11],
    [10, 0.1],
  ] as ReadonlyArray<readonly [number, number]>,
};

function duplicates(pieces: string[]): { count: number; characters: number } {
  const seen = new Set<string>();
  let count = 0;
  let characters = 0;
  for (const piece of pieces) {
    if (seen.has(piece)) {
      count++;
      characters += piece.length;
    } else seen.add(piece);
  }
  return { count, characters };
}

/**
 * Gopher's repetition rules: duplicate lines and paragraphs (by count and by characters), the share of
 * characters in the most frequent 2-, 3- and 4-gram, and in duplicated 5- to 10-grams.
 *
 * @example
 * ```ts
 * gopherRepetition('spam\nspam\nspam\neggs'); // { rule: 'gopher.duplicate_lines', value: 0.5, limit: 0.3 }
 * ```
 */
export function gopherRepetition(text: string): Exclusion | undefined {
  const limits = GOPHER_REPETITION;
  const total = Math.max(1, text.length);
  const lines = text.split(/\n+/).filter((line) => line.length > 0);
  const paragraphs = text.split(/\n{2,}/).filter((paragraph) => paragraph.length > 0);
  const lineDuplicates = duplicates(lines);
  const paragraphDuplicates = duplicates(paragraphs);
  const checks: Array<[string, number, number]> = [
    [
      'gopher.duplicate_lines',
      lineDuplicates.count / Math.max(1, lines.length),
      limits.duplicateLineFraction,
    ],
    [
      'gopher.duplicate_paragraphs',
      paragraphDuplicates.count / Math.max(1, paragraphs.length),
      limits.duplicateParagraphFraction,
    ],
    [
      'gopher.duplicate_line_characters',
      lineDuplicates.characters / total,
      limits.duplicateLineCharacterFraction,
    ],
    [
      'gopher.duplicate_paragraph_characters',
      paragraphDuplicates.characters / total,
      limits.duplicateParagraphCharacterFraction,
    ],
  ];
  for (const [rule, value, limit] of checks) if (value > limit) return { rule, value, limit };
  const repetition = new NgramRepetition(scanOf(text));
  const characters = Math.max(1, repetition.characters);
  const smallestDuplicatedLimit = Math.min(...limits.duplicatedNgram.map(([, limit]) => limit));
  for (let n = 2; n <= 10; n++) {
    const { topCharacters, duplicatedCharacters } = repetition.next();
    const top = limits.topNgram.find(([size]) => size === n);
    if (top && topCharacters / characters > top[1])
      return { rule: `gopher.top_${n}gram`, value: topCharacters / characters, limit: top[1] };
    const duplicated = limits.duplicatedNgram.find(([size]) => size === n);
    if (duplicated) {
      const share = duplicatedCharacters / characters;
      if (share > duplicated[1])
        return { rule: `gopher.duplicated_${n}gram`, value: share, limit: duplicated[1] };
      // A repeated (n+1)-gram is made of repeated n-grams, so the shares only shrink as n grows: below the
      // smallest limit, no larger n can fail.
      if (share <= smallestDuplicatedLimit) break;
    }
  }
  return undefined;
}

const TERMINAL = new Set([...'.!?"\'”’'].map((character) => character.charCodeAt(0)));
/** "javascript" and C4's policy phrases, case-insensitive. */
const BOILERPLATE =
  /javascript|terms of use|privacy policy|cookie policy|uses cookies|use of cookies|use cookies/iu;

/**
 * C4's rules: drop pages with "lorem ipsum" or a curly bracket; keep only lines that end in terminal
 * punctuation, have at least 3 words, no word over 1,000 characters, and no "javascript" or policy
 * boilerplate; drop the page when fewer than 5 sentences remain. Returns the kept text or the exclusion.
 *
 * @example
 * ```ts
 * c4Lines('Menu\nHome | About\nThe cat sat on the mat. It purred. Then it slept. It woke. It ate.');
 * // { text: 'The cat sat on the mat. It purred. Then it slept. It woke. It ate.' }
 * ```
 */
export function c4Lines(text: string): { text: string } | { exclusion: Exclusion } {
  if (/lorem ipsum/i.test(text)) return { exclusion: { rule: 'c4.lorem_ipsum', value: 1, limit: 0 } };
  if (text.includes('{')) return { exclusion: { rule: 'c4.curly_bracket', value: 1, limit: 0 } };
  const kept = text.split('\n').filter((line) => {
    let last = line.length - 1;
    while (last >= 0 && isSpace(line.charCodeAt(last))) last--;
    return TERMINAL.has(line.charCodeAt(last)) && hasWords(line, 3, 1000) && !BOILERPLATE.test(line);
  });
  const keptText = kept.join('\n');
  const sentences = keptText.match(/[.!?]+(?=\s|$)/gu)?.length ?? 0;
  if (sentences < 5) return { exclusion: { rule: 'c4.min_sentences', value: sentences, limit: 5 } };
  return { text: keptText };
}

/** Whether `line` has at least `minWords` words and none longer than `maxLength` code units. */
function hasWords(line: string, minWords: number, maxLength: number): boolean {
  let count = 0;
  let length = 0;
  for (let i = 0; i <= line.length; i++) {
    if (i === line.length || isSpace(line.charCodeAt(i))) {
      if (length > 0) count++;
      length = 0;
    } else if (++length > maxLength) return false;
  }
  return count >= minWords;
}

const STOP_WORDS = new Map<string, ReadonlySet<string>>([
  [
    'en',
    new Set(
      'the of and to in a is that for it as was with be by on not he i this are or his from at which but have an they you were her she there one all we'.split(
        ' ',
      ),
    ),
  ],
  [
    'de',
    new Set(
      'der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden aus er hat dass sie nach wird bei einer um am sind noch wie'.split(
        ' ',
      ),
    ),
  ],
]);

/**
 * A stop-word language guess for English and German: the language whose stop words make up the largest
 * share of the words, or `'unknown'` when no language reaches `minShare` (default 0.1; running English
 * prose has ~40% stop words).
 *
 * @example
 * ```ts
 * guessLanguage('Der Hund und die Katze sind im Haus.'); // { language: 'de', share: 0.625 }
 * ```
 */
export function guessLanguage(text: string, minShare = 0.1): { language: string; share: number } {
  const scan = scanOf(text);
  let best = { language: 'unknown', share: 0 };
  for (const [language, count] of scan.languageStopWords) {
    const share = count / Math.max(1, scan.count);
    if (share > best.share) best = { language, share };
  }
  return best.share >= minShare ? best : { language: 'unknown', share: best.share };
}

/** Gopher's stop words and the language lists, as the word scan takes them. */
export const STOP_WORD_LISTS: StopWordLists = { gopher: GOPHER_STOP_WORDS, languages: STOP_WORDS };
