import { unitsOf } from './utf16-units.js';

/**
 * A hand-written scanner for the cl100k pre-tokenizer pattern (tiktoken's `cl100k_base`, llama.cpp's
 * `llama-bpe`): the same pieces as the translated `RegExp`, found from character classes without building a
 * string per piece. The pattern, alternatives tried in order at each position:
 *
 *   1. `'s|'t|'re|'ve|'m|'ll|'d` (case-insensitive)   2. `[^\r\n\p{L}\p{N}]?\p{L}+`   3. `\p{N}{1,3}`
 *   4. ` ?[^\s\p{L}\p{N}]+[\r\n]*`   5. `\s*[\r\n]+`   6. `\s+(?!\S)`   7. `\s+`
 *
 * `\s` is Rust's White_Space (see patterns.ts). Code points, not UTF-16 units, are matched (the `u` flag): an
 * astral letter is one letter, a lone surrogate is neither letter, number nor space.
 */

const LETTER = 1;
const NUMBER = 2;
const SPACE = 4;
/** \r or \n (also SPACE). */
const NEWLINE = 8;

const LETTER_TEST = /^\p{L}$/u;
const NUMBER_TEST = /^\p{N}$/u;
// patterns.ts RUST_WHITESPACE: \t-\r, space, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
const SPACE_TEST = /^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u;

function classify(character: string): number {
  if (LETTER_TEST.test(character)) return LETTER;
  if (NUMBER_TEST.test(character)) return NUMBER;
  if (SPACE_TEST.test(character)) return character === '\r' || character === '\n' ? SPACE | NEWLINE : SPACE;
  return 0;
}

let bmpClasses: Uint8Array | undefined;
/**
 * Class of every BMP code unit (surrogates: 0) — bits LETTER 1, NUMBER 2, SPACE 4, NEWLINE 8 — built on
 * first use from the engine's own Unicode tables (~65k regex tests, a few ms).
 *
 * @example
 * ```ts
 * cl100kClasses()['a'.charCodeAt(0)]; // 1 (LETTER)
 * cl100kClasses()[10]; // 12 (SPACE | NEWLINE)
 * ```
 */
export function cl100kClasses(): Uint8Array {
  if (bmpClasses) return bmpClasses;
  const table = new Uint8Array(0x10000);
  for (let code = 0; code < 0x10000; code++)
    if (code < 0xd800 || code > 0xdfff) table[code] = classify(String.fromCharCode(code));
  bmpClasses = table;
  return table;
}

const astralClasses = new Map<number, number>();
/**
 * The class of a code point above U+FFFF (bits as in {@link cl100kClasses}), cached.
 *
 * @example
 * ```ts
 * astralClass(0x1d400); // 1: MATHEMATICAL BOLD CAPITAL A is a letter
 * ```
 */
export function astralClass(codePoint: number): number {
  let found = astralClasses.get(codePoint);
  if (found === undefined) {
    found = classify(String.fromCodePoint(codePoint));
    astralClasses.set(codePoint, found);
  }
  return found;
}

/** Whether `units[at]` starts a valid surrogate pair (the units after the text are zeros: no pair). */
const isPair = (units: Uint16Array, at: number): boolean =>
  (units[at]! & 0xfc00) === 0xd800 && (units[at + 1]! & 0xfc00) === 0xdc00;

/**
 * The pieces of `text` under the cl100k pattern, as their end offsets (UTF-16): `ends[i]` is just past piece
 * i, the last is `text.length`. Equal to the lengths of `text.match(toJsRegExp(PATTERN_SOURCES.cl100k))`.
 *
 * @example
 * ```ts
 * scanCl100k("it's 2024!\n"); // Int32Array [2, 4, 5, 8, 9, 11]: "it" "'s" " " "202" "4" "!\n"
 * ```
 */
export function scanCl100k(text: string): Int32Array {
  const ends = new Int32Array(text.length + 1);
  const count = scanCl100kUnits(unitsOf(text), text.length, ends, 0);
  return ends.slice(0, count);
}

/**
 * {@link scanCl100k} over `units[0, length)` (from {@link unitsOf}: zeros follow the text), writing the piece
 * ends to `ends` from index `first` on; returns the index after the last end written. `ends` needs room for
 * `length` ends (at most one piece per unit).
 *
 * @example
 * ```ts
 * const starts = new Int32Array(text.length + 1); // starts[0] = 0, then the piece ends
 * const pieces = scanCl100kUnits(unitsOf(text), text.length, starts, 1) - 1;
 * ```
 */
export function scanCl100kUnits(units: Uint16Array, length: number, ends: Int32Array, first: number): number {
  const table = cl100kClasses();
  let count = first;
  let at = 0;
  while (at < length) {
    const code = units[at]!;
    // " word" and "word", the common pieces (alternative 2), before the general path: surrogates classify as 0.
    if ((table[code]! & LETTER) !== 0 || (code === 32 && (table[units[at + 1]!]! & LETTER) !== 0)) {
      at++;
      while (at < length && (table[units[at]!]! & LETTER) !== 0) at++;
      if (at < length && (units[at]! & 0xf800) === 0xd800) at = runOf(units, length, at, LETTER, table);
    } else at = pieceEnd(units, length, at, code, table);
    ends[count++] = at;
  }
  return count;
}

/** The end of the piece that starts at `at` (below `length`), whose unit is `code`: the pattern's alternatives in order. */
function pieceEnd(units: Uint16Array, length: number, at: number, code: number, table: Uint8Array): number {
  const end = contraction(units, at, code);
  if (end !== 0) return end;
  const here = classAt(units, at, table);
  const kind = here & CLASS;
  const next = at + (here >> WIDTH_SHIFT);
  if (kind & LETTER) return runOf(units, length, next, LETTER, table);
  if ((kind & (NUMBER | NEWLINE)) === 0 && next < length && classAt(units, next, table) & LETTER)
    return runOf(units, length, next, LETTER, table);
  if (kind & NUMBER) {
    let digitsEnd = next;
    for (let digits = 1; digits < 3 && digitsEnd < length; digits++) {
      const following = classAt(units, digitsEnd, table);
      if ((following & NUMBER) === 0) break;
      digitsEnd += following >> WIDTH_SHIFT;
    }
    return digitsEnd;
  }
  if (code === 32 && next < length && (classAt(units, next, table) & (LETTER | NUMBER | SPACE)) === 0)
    return symbolsThenNewlines(units, length, next, table);
  if ((kind & SPACE) === 0) return symbolsThenNewlines(units, length, at, table);
  return whitespace(units, at, runOf(units, length, at, SPACE, table), length);
}

/** The class bits of a classAt result; above them, its width in UTF-16 units (1 or 2). */
const CLASS = 15;
const WIDTH_SHIFT = 4;

/** Class of the code point at `at`, with its width: `class | width << WIDTH_SHIFT`. */
function classAt(units: Uint16Array, at: number, table: Uint8Array): number {
  const code = units[at]!;
  if ((code & 0xf800) !== 0xd800) return table[code]! | (1 << WIDTH_SHIFT);
  if (isPair(units, at))
    return astralClass(((code - 0xd800) << 10) + (units[at + 1]! - 0xdc00) + 0x10000) | (2 << WIDTH_SHIFT);
  return 1 << WIDTH_SHIFT;
}

/** End of the run of code points from `from` whose class has a bit of `wanted`. */
function runOf(units: Uint16Array, length: number, from: number, wanted: number, table: Uint8Array): number {
  let at = from;
  while (at < length) {
    const code = units[at]!;
    if ((code & 0xf800) !== 0xd800) {
      if ((table[code]! & wanted) === 0) break;
      at++;
    } else {
      const here = classAt(units, at, table);
      if ((here & wanted) === 0) break;
      at += here >> WIDTH_SHIFT;
    }
  }
  return at;
}

/** Code points that are neither letter, number nor space (`[^\s\p{L}\p{N}]+`), then any \r and \n. */
function symbolsThenNewlines(units: Uint16Array, length: number, from: number, table: Uint8Array): number {
  let at = from;
  while (at < length) {
    const here = classAt(units, at, table);
    if ((here & (LETTER | NUMBER | SPACE)) !== 0) break;
    at += here >> WIDTH_SHIFT;
  }
  while (at < length && (units[at] === 10 || units[at] === 13)) at++;
  return at;
}

/** Alternative 1: the end of `'s 't 're 've 'm 'll 'd` (any case; ſ folds to s) at `at`, or 0. */
function contraction(units: Uint16Array, at: number, code: number): number {
  if (code !== 39) return 0;
  const first = units[at + 1]! | 0x20; // ASCII lower case (past the text: 0 | 0x20, no match)
  if (first === 0x73 || first === 0x74 || first === 0x6d || first === 0x64) return at + 2; // s t m d
  if (units[at + 1] === 0x17f) return at + 2; // ſ
  const second = units[at + 2]! | 0x20;
  if ((first === 0x72 || first === 0x76) && second === 0x65) return at + 3; // re ve
  if (first === 0x6c && second === 0x6c) return at + 3; // ll
  return 0;
}

/**
 * Alternatives 5–7 on the whitespace run `[at, runEnd)`: up to its last \r or \n if it has one
 * (`\s*[\r\n]+`), else all of it at the end of the text, else all but its last character (`\s+(?!\S)`),
 * else — one character before a non-space — that character (`\s+`).
 */
function whitespace(units: Uint16Array, at: number, runEnd: number, length: number): number {
  for (let last = runEnd - 1; last >= at; last--) {
    const code = units[last];
    if (code === 10 || code === 13) return last + 1;
  }
  if (runEnd === length || runEnd - at < 2) return runEnd;
  return runEnd - 1;
}
