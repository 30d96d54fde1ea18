// Document quality rules. Thresholds are the published ones:
// Gopher: Rae et al. 2021, "Scaling Language Models: Methods, Analysis & Insights from Training Gopher",
//   Appendix A.1.1 (quality filter) and Table A1 (repetition filter).
// C4: Raffel et al. 2020, §2.2, with the defaults of datatrove's C4QualityFilter (5 sentences, 3 words a line).

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
const BULLETS = /^\s*[-*•●◦‣▪○·]/u;
const PUNCTUATION_ONLY = /^[\p{P}\p{S}]+$/u;

export function words(text: string): string[] {
  return text.split(/\s+/u).filter((word) => word.length > 0);
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
  const all = words(text);
  const real = all.filter((word) => !PUNCTUATION_ONLY.test(word)); // words that are not just symbols
  if (real.length < limits.minWords)
    return { rule: 'gopher.min_words', value: real.length, limit: limits.minWords };
  if (real.length > limits.maxWords)
    return { rule: 'gopher.max_words', value: real.length, limit: limits.maxWords };
  const meanLength = real.reduce((sum, word) => sum + [...word].length, 0) / real.length;
  if (meanLength < limits.minMeanWordLength)
    return { rule: 'gopher.min_mean_word_length', value: meanLength, limit: limits.minMeanWordLength };
  if (meanLength > limits.maxMeanWordLength)
    return { rule: 'gopher.max_mean_word_length', value: meanLength, limit: limits.maxMeanWordLength };
  const symbols = (text.match(/#/g)?.length ?? 0) + (text.match(/\.\.\.|…/g)?.length ?? 0);
  if (symbols / all.length > limits.maxSymbolToWordRatio)
    return {
      rule: 'gopher.symbol_to_word_ratio',
      value: symbols / all.length,
      limit: limits.maxSymbolToWordRatio,
    };
  const lines = text.split('\n').filter((line) => line.trim().length > 0);
  const bulletRatio = lines.filter((line) => BULLETS.test(line)).length / Math.max(1, lines.length);
  if (bulletRatio > limits.maxBulletLineRatio)
    return { rule: 'gopher.bullet_lines', value: bulletRatio, limit: limits.maxBulletLineRatio };
  const ellipsisRatio =
    lines.filter((line) => /(\.\.\.|…)\s*$/u.test(line)).length / Math.max(1, lines.length);
  if (ellipsisRatio > limits.maxEllipsisLineRatio)
    return { rule: 'gopher.ellipsis_lines', value: ellipsisRatio, limit: limits.maxEllipsisLineRatio };
  const alphabetic = all.filter((word) => /\p{L}/u.test(word)).length / all.length;
  if (alphabetic < limits.minAlphabeticWordRatio)
    return { rule: 'gopher.alphabetic_words', value: alphabetic, limit: limits.minAlphabeticWordRatio };
  const stopWords = all.filter((word) => GOPHER_STOP_WORDS.has(word.toLowerCase())).length;
  if (stopWords < limits.minStopWords)
    return { rule: 'gopher.stop_words', value: stopWords, limit: limits.minStopWords };
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

/** Small integer ids for words; equal words get equal ids. */
function wordIds(all: string[]): Int32Array {
  const ids = new Map<string, number>();
  return Int32Array.from(all, (word) => {
    let id = ids.get(word);
    if (id === undefined) {
      id = ids.size;
      ids.set(word, id);
    }
    return id;
  });
}

/**
 * Hashes of the n-grams starting at each position, from the (n-1)-gram hashes: two 32-bit multiplicative
 * lanes (murmur3 constants) make a 53-bit key, so a collision inside one document (≤ 10^5 words) has
 * probability below 10^-5, and a collision can only make a repetition look larger, never hide one.
 */
function extendHashes(previous: Float64Array, ids: Int32Array, n: number): Float64Array {
  const out = new Float64Array(Math.max(0, ids.length - n + 1));
  for (let i = 0; i < out.length; i++) {
    const before = previous[i]!;
    const id = ids[i + n - 1]! + 1;
    const high = Math.imul(Math.floor(before / 2 ** 21) ^ Math.imul(id, 0xcc9e2d51), 0x1b873593) >>> 0;
    const low = Math.imul((before % 2 ** 21) ^ Math.imul(id, 0x85ebca6b), 0xc2b2ae35) >>> 11;
    out[i] = high * 2 ** 21 + low;
  }
  return out;
}

/** Characters of the words in [at, at + n). */
function span(lengths: number[], at: number, n: number): number {
  let total = 0;
  for (let i = at; i < at + n; i++) total += lengths[i]!;
  return total;
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
  const all = words(text);
  const lengths = all.map((word) => word.length);
  const characters = Math.max(
    1,
    lengths.reduce((sum, length) => sum + length, 0),
  );
  // n-grams as 53-bit hashes of word ids, rolled from the (n-1)-grams: no string is built per n-gram.
  const ids = wordIds(all);
  let hashes: Float64Array = Float64Array.from(ids);
  for (let n = 2; n <= 10; n++) {
    hashes = extendHashes(hashes, ids, n);
    const top = limits.topNgram.find(([size]) => size === n);
    if (top) {
      const counts = new Map<number, { count: number; at: number }>();
      hashes.forEach((hash, i) => {
        const entry = counts.get(hash);
        if (entry) entry.count++;
        else counts.set(hash, { count: 1, at: i });
      });
      let best = 0;
      for (const { count, at } of counts.values())
        if (count > 1) best = Math.max(best, span(lengths, at, n) * count);
      if (best / characters > top[1])
        return { rule: `gopher.top_${n}gram`, value: best / characters, limit: top[1] };
    }
    const duplicated = limits.duplicatedNgram.find(([size]) => size === n);
    if (duplicated) {
      const seen = new Set<number>();
      const covered = new Uint8Array(all.length); // words inside an n-gram seen before
      hashes.forEach((hash, i) => {
        if (seen.has(hash)) covered.fill(1, i, i + n);
        else seen.add(hash);
      });
      let total = 0;
      covered.forEach((flag, i) => {
        if (flag) total += lengths[i]!;
      });
      if (total / characters > duplicated[1])
        return { rule: `gopher.duplicated_${n}gram`, value: total / characters, limit: duplicated[1] };
    }
  }
  return undefined;
}

const TERMINAL = /[.!?"'”’]$/u;
const POLICY = [
  'terms of use',
  'privacy policy',
  'cookie policy',
  'uses cookies',
  'use of cookies',
  'use cookies',
];

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
  const lower = text.toLowerCase();
  if (lower.includes('lorem ipsum')) return { exclusion: { rule: 'c4.lorem_ipsum', value: 1, limit: 0 } };
  if (text.includes('{')) return { exclusion: { rule: 'c4.curly_bracket', value: 1, limit: 0 } };
  const kept = text.split('\n').filter((line) => {
    const trimmed = line.trim();
    const lineWords = words(trimmed);
    const lowerLine = trimmed.toLowerCase();
    return (
      TERMINAL.test(trimmed) &&
      lineWords.length >= 3 &&
      lineWords.every((word) => word.length <= 1000) &&
      !lowerLine.includes('javascript') &&
      !POLICY.some((phrase) => lowerLine.includes(phrase))
    );
  });
  const keptText = kept.join('\n');
  const sentences = keptText.match(/[.!?]+(?=\s|$)/gu)?.length ?? 0;
  if (sentences < 5) return { exclusion: { rule: 'c4.min_sentences', value: sentences, limit: 5 } };
  return { text: keptText };
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
  const all = words(text.toLowerCase()).map((word) => word.replace(/^[\p{P}]+|[\p{P}]+$/gu, ''));
  let best = { language: 'unknown', share: 0 };
  for (const [language, stopWords] of STOP_WORDS) {
    const share = all.filter((word) => stopWords.has(word)).length / Math.max(1, all.length);
    if (share > best.share) best = { language, share };
  }
  return best.share >= minShare ? best : { language: 'unknown', share: best.share };
}
