// Plain-string reference versions of the quality rules and the exact-dedup key: one obvious line per
// published rule, with a string per word and per n-gram. Too slow for a corpus (about 8 MB/s), they are
// the oracle the fast single-scan versions are tested against (differential and whole-corpus tests).
import {
  type Exclusion,
  GOPHER_QUALITY,
  GOPHER_REPETITION,
  type GopherQualityLimits,
} from '../quality-rules.js';

const words = (text: string) => text.split(/\s+/u).filter((word) => word.length > 0);

export function referenceGopherQuality(
  text: string,
  limits: GopherQualityLimits = GOPHER_QUALITY,
): Exclusion | undefined {
  const all = words(text);
  const real = all.filter((word) => !/^[\p{P}\p{S}]+$/u.test(word));
  if (real.length < limits.minWords)
    return { rule: 'gopher.min_words', value: real.length, limit: limits.minWords };
  if (real.length > limits.maxWords)
    return { rule: 'gopher.max_words', value: real.length, limit: limits.maxWords };
  const mean = real.reduce((sum, word) => sum + [...word].length, 0) / real.length;
  if (mean < limits.minMeanWordLength)
    return { rule: 'gopher.min_mean_word_length', value: mean, limit: limits.minMeanWordLength };
  if (mean > limits.maxMeanWordLength)
    return { rule: 'gopher.max_mean_word_length', value: mean, limit: limits.maxMeanWordLength };
  const symbols = (text.match(/#/g)?.length ?? 0) + (text.match(/\.\.\.|…/g)?.length ?? 0);
  if (symbols / all.length > limits.maxSymbolToWordRatio)
    return {
      rule: 'gopher.symbol_to_word_ratio',
      value: symbols / all.length,
      limit: limits.maxSymbolToWordRatio,
    };
  const lines = text.split('\n').filter((line) => line.trim().length > 0);
  const bullets = lines.filter((line) => /^\s*[-*•●◦‣▪○·]/u.test(line)).length / Math.max(1, lines.length);
  if (bullets > limits.maxBulletLineRatio)
    return { rule: 'gopher.bullet_lines', value: bullets, limit: limits.maxBulletLineRatio };
  const ellipses = lines.filter((line) => /(\.\.\.|…)\s*$/u.test(line)).length / Math.max(1, lines.length);
  if (ellipses > limits.maxEllipsisLineRatio)
    return { rule: 'gopher.ellipsis_lines', value: ellipses, limit: limits.maxEllipsisLineRatio };
  const alphabetic = all.filter((word) => /\p{L}/u.test(word)).length / all.length;
  if (alphabetic < limits.minAlphabeticWordRatio)
    return { rule: 'gopher.alphabetic_words', value: alphabetic, limit: limits.minAlphabeticWordRatio };
  const stop = new Set(['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with']);
  const stopWords = all.filter((word) => stop.has(word.toLowerCase())).length;
  if (stopWords < limits.minStopWords)
    return { rule: 'gopher.stop_words', value: stopWords, limit: limits.minStopWords };
  return undefined;
}

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

export function referenceGopherRepetition(text: string): Exclusion | undefined {
  const limits = GOPHER_REPETITION;
  const total = Math.max(1, text.length);
  const lines = duplicates(text.split(/\n+/).filter((line) => line.length > 0));
  const lineCount = text.split(/\n+/).filter((line) => line.length > 0).length;
  const paragraphList = text.split(/\n{2,}/).filter((paragraph) => paragraph.length > 0);
  const paragraphs = duplicates(paragraphList);
  const checks: Array<[string, number, number]> = [
    ['gopher.duplicate_lines', lines.count / Math.max(1, lineCount), limits.duplicateLineFraction],
    [
      'gopher.duplicate_paragraphs',
      paragraphs.count / Math.max(1, paragraphList.length),
      limits.duplicateParagraphFraction,
    ],
    ['gopher.duplicate_line_characters', lines.characters / total, limits.duplicateLineCharacterFraction],
    [
      'gopher.duplicate_paragraph_characters',
      paragraphs.characters / total,
      limits.duplicateParagraphCharacterFraction,
    ],
  ];
  for (const [rule, value, limit] of checks) if (value > limit) return { rule, value, limit };
  const all = words(text);
  const characters = Math.max(
    1,
    all.reduce((sum, word) => sum + word.length, 0),
  );
  for (let n = 2; n <= 10; n++) {
    // words hold no space, so joining with one keeps n-grams distinct
    const grams = Array.from({ length: Math.max(0, all.length - n + 1) }, (_, i) =>
      all.slice(i, i + n).join(' '),
    );
    const top = limits.topNgram.find(([size]) => size === n);
    if (top) {
      const counts = new Map<string, number>();
      for (const gram of grams) counts.set(gram, (counts.get(gram) ?? 0) + 1);
      let best = 0;
      for (const [gram, count] of counts)
        if (count > 1) best = Math.max(best, (gram.length - (n - 1)) * count);
      if (best / characters > top[1])
        return { rule: `gopher.top_${n}gram`, value: best / characters, limit: top[1] };
    }
    const duplicated = limits.duplicatedNgram.find(([size]) => size === n);
    if (duplicated) {
      const seen = new Set<string>();
      const covered = new Uint8Array(all.length);
      grams.forEach((gram, i) => {
        if (seen.has(gram)) covered.fill(1, i, i + n);
        else seen.add(gram);
      });
      let sum = 0;
      covered.forEach((flag, i) => {
        if (flag) sum += all[i]!.length;
      });
      if (sum / characters > duplicated[1])
        return { rule: `gopher.duplicated_${n}gram`, value: sum / characters, limit: duplicated[1] };
    }
  }
  return undefined;
}

export function referenceC4Lines(text: string): { text: string } | { exclusion: Exclusion } {
  const lower = text.toLowerCase();
  if (lower.includes('lorem ipsum')) return { exclusion: { rule: 'c4.lorem_ipsum', value: 1, limit: 0 } };
  if (text.includes('{')) return { exclusion: { rule: 'c4.curly_bracket', value: 1, limit: 0 } };
  const policy = [
    'terms of use',
    'privacy policy',
    'cookie policy',
    'uses cookies',
    'use of cookies',
    'use cookies',
  ];
  const kept = text.split('\n').filter((line) => {
    const trimmed = line.trim();
    const lowerLine = trimmed.toLowerCase();
    return (
      /[.!?"'”’]$/u.test(trimmed) &&
      words(trimmed).length >= 3 &&
      words(trimmed).every((word) => word.length <= 1000) &&
      !lowerLine.includes('javascript') &&
      !policy.some((phrase) => lowerLine.includes(phrase))
    );
  });
  const keptText = kept.join('\n');
  const sentences = keptText.match(/[.!?]+(?=\s|$)/gu)?.length ?? 0;
  if (sentences < 5) return { exclusion: { rule: 'c4.min_sentences', value: sentences, limit: 5 } };
  return { text: keptText };
}

export function referenceGuessLanguage(
  text: string,
  stopWords: ReadonlyMap<string, ReadonlySet<string>>,
  minShare = 0.1,
) {
  const all = words(text.toLowerCase()).map((word) => word.replace(/^[\p{P}]+|[\p{P}]+$/gu, ''));
  let best = { language: 'unknown', share: 0 };
  for (const [language, list] of stopWords) {
    const share = all.filter((word) => list.has(word)).length / Math.max(1, all.length);
    if (share > best.share) best = { language, share };
  }
  return best.share >= minShare ? best : { language: 'unknown', share: best.share };
}

/** The exact-dedup key's meaning: NFC text with whitespace runs folded to one space, trimmed. */
export function referenceFoldedText(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim();
}
