import {
  classOf,
  LETTER,
  lowerCodeUnit,
  PUNCTUATION,
  PUNCTUATION_OR_SYMBOL,
  SPACE,
} from './character-classes.js';
import { KeyTable } from './key-table.js';

/**
 * What the quality rules measure about a text's words (split on `\s+`, as `text.split(/\s+/u)`), found in
 * one pass over its code units without building a string per word.
 */
export interface WordScan {
  /** Number of words. */
  readonly count: number;
  /** High half of a 64-bit hash of each word's code units: equal words, equal hashes. */
  readonly high: Int32Array;
  /** Low half of that hash. */
  readonly low: Int32Array;
  /** Length of each word in UTF-16 code units. */
  readonly lengths: Int32Array;
  /** Words that are not made only of punctuation and symbols (`/^[\p{P}\p{S}]+$/u`). */
  readonly realWords: number;
  /** Code points in those words. */
  readonly realCodePoints: number;
  /** Words with at least one letter (`\p{L}`). */
  readonly alphabeticWords: number;
  /** Words that, lower-cased, are one of Gopher's stop words. */
  readonly gopherStopWords: number;
  /** Per language: words that, lower-cased and stripped of leading and trailing `\p{P}`, are its stop words. */
  readonly languageStopWords: ReadonlyMap<string, number>;
  /** `#` characters plus non-overlapping `...` and `…` (Gopher's symbols). */
  readonly symbols: number;
}

/** Stop words: Gopher's list, and one list per language. */
export interface StopWordLists {
  readonly gopher: ReadonlySet<string>;
  readonly languages: ReadonlyMap<string, ReadonlySet<string>>;
}

// Per-unit multiplicative lanes (golden ratio and murmur3 constants), avalanched when the word ends.
const LANE_HIGH = 0x9e3779b1;
const LANE_LOW = 0x85ebca6b;

function finishHigh(high: number, length: number): number {
  const a = Math.imul(high ^ length, 0xcc9e2d51);
  return Math.imul(a ^ (a >>> 15), 0x1b873593) ^ (a >>> 13);
}

function finishLow(low: number, length: number): number {
  const b = Math.imul(low ^ length, 0xc2b2ae35);
  return Math.imul(b ^ (b >>> 16), 0x27d4eb2f) ^ (b >>> 15);
}

/** Classes of the ASCII code units, looked up instead of tested. */
const ASCII = Uint8Array.from({ length: 128 }, (_, code) => classOf(code));

/** Longest stop word of any list (German "werden"); longer words are not looked up. */
const LONGEST_STOP_WORD = 6;

interface StopWordTable {
  /** Bit 0: Gopher's list; bit 1 + i: the i-th language's. */
  readonly table: KeyTable;
  readonly languages: string[];
}

const tables = new WeakMap<StopWordLists, StopWordTable>();

function stopWordTable(lists: StopWordLists): StopWordTable {
  const known = tables.get(lists);
  if (known) return known;
  const entries = new Map<string, number>();
  const languages = [...lists.languages.keys()];
  const mark = (word: string, bit: number) => entries.set(word, (entries.get(word) ?? 0) | bit);
  for (const word of lists.gopher) mark(word, 1);
  languages.forEach((language, i) => {
    for (const word of lists.languages.get(language)!) mark(word, 2 << i);
  });
  const table = new KeyTable();
  table.reset(entries.size);
  for (const [word, bits] of entries) {
    if (word.length > LONGEST_STOP_WORD || word !== word.toLowerCase())
      throw new RangeError(`stop word "${word}" is not lower case or is longer than ${LONGEST_STOP_WORD}`);
    let high = 0;
    let low = 0;
    for (let i = 0; i < word.length; i++) {
      const code = word.charCodeAt(i);
      high = Math.imul(high ^ code, LANE_HIGH);
      low = Math.imul((low ^ code) + 0x632be5ab, LANE_LOW);
    }
    table.insert(finishHigh(high, word.length), finishLow(low, word.length), bits);
  }
  const built = { table, languages };
  tables.set(lists, built);
  return built;
}

let scratchHigh = new Int32Array(1024);
let scratchLow = new Int32Array(1024);
let scratchLengths = new Int32Array(1024);

/**
 * Counts `#` and non-overlapping `...` and `…` (as `text.match(/#|\.\.\.|…/g)` would): native searches.
 */
function countSymbols(text: string): number {
  let count = 0;
  for (let at = text.indexOf('#'); at >= 0; at = text.indexOf('#', at + 1)) count++;
  for (let at = text.indexOf('…'); at >= 0; at = text.indexOf('…', at + 1)) count++;
  for (let at = text.indexOf('...'); at >= 0; at = text.indexOf('...', at + 3)) count++;
  return count;
}

let lastScan: { text: string; lists: StopWordLists; scan: WordScan } | undefined;

/**
 * {@link scanWords}, remembering the last text: the filter runs several rules and then the exact
 * deduplication on the same text, and each needs its scan.
 */
export function scanWordsCached(text: string, lists: StopWordLists): WordScan {
  if (lastScan?.text !== text || lastScan.lists !== lists)
    lastScan = { text, lists, scan: scanWords(text, lists) };
  return lastScan.scan;
}

/**
 * Scans `text` once: word boundaries, word hashes and lengths, and the counts the Gopher quality rules and
 * the language guess need. The arrays are reused by the next call.
 */
export function scanWords(text: string, lists: StopWordLists): WordScan {
  const { table, languages } = stopWordTable(lists);
  const languageCounts = new Int32Array(languages.length);
  // At most one word per two code units (a word and a space).
  if (scratchHigh.length < text.length / 2 + 1) {
    scratchHigh = new Int32Array(Math.ceil(text.length / 2) + 1);
    scratchLow = new Int32Array(scratchHigh.length);
    scratchLengths = new Int32Array(scratchHigh.length);
  }
  let count = 0;
  let realWords = 0;
  let realCodePoints = 0;
  let alphabeticWords = 0;
  let gopherStopWords = 0;
  const end = text.length;
  let i = 0;
  while (i < end) {
    let code = text.charCodeAt(i);
    if ((code < 128 ? ASCII[code]! : classOf(code)) & SPACE) {
      i++;
      continue;
    }
    const start = i;
    let high = 0;
    let low = 0;
    let lowerHigh = 0; // the same lanes over the lower-cased units, for the stop words
    let lowerLow = 0;
    let coreHigh = 0; // lower-case lanes up to the last unit that is not \p{P}
    let coreLow = 0;
    let coreStart = -1;
    let coreEnd = -1;
    let codePoints = 0;
    let any = 0; // classes some unit has
    let all = 0xff; // classes every unit has
    while (i < end) {
      code = text.charCodeAt(i);
      let classes: number;
      let units = 1;
      if (code < 128) classes = ASCII[code]!;
      else if (code >= 0xd800 && code <= 0xdbff && i + 1 < end) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          classes = classOf((code - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000);
          units = 2;
        } else classes = 0;
      } else classes = classOf(code);
      if (classes & SPACE) break;
      any |= classes;
      all &= classes;
      high = Math.imul(high ^ code, LANE_HIGH);
      low = Math.imul((low ^ code) + 0x632be5ab, LANE_LOW);
      if (units === 2) {
        const next = text.charCodeAt(i + 1);
        high = Math.imul(high ^ next, LANE_HIGH);
        low = Math.imul((low ^ next) + 0x632be5ab, LANE_LOW);
      }
      if (coreStart >= 0 || !(classes & PUNCTUATION)) {
        if (coreStart < 0) coreStart = i;
        for (let unit = 0; unit < units && i + unit - coreStart < LONGEST_STOP_WORD; unit++) {
          const c = text.charCodeAt(i + unit);
          const lowered = c < 128 ? (c >= 65 && c <= 90 ? c | 32 : c) : lowerCodeUnit(c);
          lowerHigh = Math.imul(lowerHigh ^ lowered, LANE_HIGH);
          lowerLow = Math.imul((lowerLow ^ lowered) + 0x632be5ab, LANE_LOW);
        }
        if (!(classes & PUNCTUATION)) {
          coreEnd = i + units;
          coreHigh = lowerHigh;
          coreLow = lowerLow;
        }
      }
      codePoints++;
      i += units;
    }
    const length = i - start;
    scratchHigh[count] = finishHigh(high, length);
    scratchLow[count] = finishLow(low, length);
    scratchLengths[count] = length;
    count++;
    if (!(all & PUNCTUATION_OR_SYMBOL)) {
      realWords++;
      realCodePoints += codePoints;
    }
    if (any & LETTER) alphabeticWords++;
    const coreLength = coreEnd - coreStart;
    if (coreStart >= 0 && coreLength <= LONGEST_STOP_WORD) {
      const bits = table.get(finishHigh(coreHigh, coreLength), finishLow(coreLow, coreLength));
      if (bits > 0) {
        if (bits & 1 && coreStart === start && coreEnd === i) gopherStopWords++;
        for (let l = 0; l < languages.length; l++) if (bits & (2 << l)) languageCounts[l]!++;
      }
    }
  }
  const languageStopWords = new Map(languages.map((language, l) => [language, languageCounts[l]!]));
  return {
    count,
    high: scratchHigh.subarray(0, count),
    low: scratchLow.subarray(0, count),
    lengths: scratchLengths.subarray(0, count),
    realWords,
    realCodePoints,
    alphabeticWords,
    gopherStopWords,
    languageStopWords,
    symbols: countSymbols(text),
  };
}
