// Character classes the quality rules need, looked up by UTF-16 code unit (or code point for astral
// characters) instead of running a Unicode regex on every word.

/** JavaScript's `\s` and `String.prototype.trim`'s whitespace (ECMA-262 WhiteSpace + LineTerminator). */
export const SPACE = 1;
/** `\p{L}`. */
export const LETTER = 2;
/** `\p{P}` or `\p{S}`. */
export const PUNCTUATION_OR_SYMBOL = 4;
/** `\p{P}`. */
export const PUNCTUATION = 8;

const UNKNOWN = 0xff;
const bmp = new Uint8Array(0x10000).fill(UNKNOWN);
const astral = new Map<number, number>();

function classify(codePoint: number): number {
  const character = String.fromCodePoint(codePoint);
  return (
    (/\s/u.test(character) ? SPACE : 0) |
    (/\p{L}/u.test(character) ? LETTER : 0) |
    (/[\p{P}\p{S}]/u.test(character) ? PUNCTUATION_OR_SYMBOL : 0) |
    (/\p{P}/u.test(character) ? PUNCTUATION : 0)
  );
}

/** The classes of a code point (a lone surrogate has none). */
export function classOf(codePoint: number): number {
  if (codePoint < 0x10000) {
    let found = bmp[codePoint]!;
    if (found === UNKNOWN) {
      found = codePoint >= 0xd800 && codePoint <= 0xdfff ? 0 : classify(codePoint);
      bmp[codePoint] = found;
    }
    return found;
  }
  let found = astral.get(codePoint);
  if (found === undefined) {
    found = classify(codePoint);
    astral.set(codePoint, found);
  }
  return found;
}

const lower = new Int32Array(0x10000).fill(-1);

/** The lower-case code unit of a BMP code unit, or 0 when it lower-cases to more than one unit. */
export function lowerCodeUnit(code: number): number {
  if (code >= 65 && code <= 90) return code | 32;
  if (code < 128) return code;
  let found = lower[code]!;
  if (found < 0) {
    const lowered = String.fromCharCode(code).toLowerCase();
    found = lowered.length === 1 ? lowered.charCodeAt(0) : 0;
    lower[code] = found;
  }
  return found;
}

const ascii = Uint8Array.from({ length: 128 }, (_, code) => classOf(code));

/** The classes of the code point starting at `text[i]` (a lone surrogate has none); ASCII by table. */
export function classAt(text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code < 128 ? ascii[code]! : classOf(text.codePointAt(i)!);
}
