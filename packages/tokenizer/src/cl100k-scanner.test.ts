import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { scanCl100k } from './cl100k-scanner.js';
import { PATTERN_SOURCES, toJsRegExp } from './patterns.js';
import { EDGE_CHARACTERS } from './test-edge-characters.js';

const cl100k = toJsRegExp(PATTERN_SOURCES.cl100k);
/** The reference: piece ends of the translated RegExp's matches. */
function regexEnds(text: string): number[] {
  let end = 0;
  return (text.match(cl100k) ?? []).map((piece) => (end += piece.length));
}

describe('scanCl100k', () => {
  it.each([
    ["it's 2024!\n", [2, 4, 5, 8, 9, 11]], // "it" "'s" " " "202" "4" "!\n"
    ['Hello  world', [5, 6, 12]], // "Hello" " " " world": \s+(?!\S) leaves the last space to the word
    ['a \n\n b', [1, 4, 6]], // "a" " \n\n" " b": \s*[\r\n]+ ends at the last newline
    ["'LL 'Re 'x", [3, 5, 7, 9, 10]], // "'LL" " '" "Re" " '" "x": after a space, ' is a symbol
    ['   ', [3]], // whitespace at the end of the text stays whole
    ['1234567', [3, 6, 7]], // \p{N}{1,3}
    [' ...\r\n', [6]], // " ?[^\s\p{L}\p{N}]+[\r\n]*"
    ['𝐀𝐁 𝟘', [4, 5, 7]], // astral letters run together; an astral digit is one number
  ])('%j → %j', (text, ends) => {
    expect([...scanCl100k(text)]).toEqual(ends);
    expect(regexEnds(text)).toEqual(ends);
  });

  test.prop([fc.array(fc.constantFrom(...EDGE_CHARACTERS), { maxLength: 60 }).map((list) => list.join(''))], {
    numRuns: 2000,
  })('equals the RegExp on strings of edge characters', (text) => {
    expect([...scanCl100k(text)]).toEqual(regexEnds(text));
  });

  test.prop([fc.string({ unit: 'binary', maxLength: 200 })], { numRuns: 1000 })(
    'equals the RegExp on arbitrary UTF-16 (lone surrogates included)',
    (text) => {
      expect([...scanCl100k(text)]).toEqual(regexEnds(text));
    },
  );
});
