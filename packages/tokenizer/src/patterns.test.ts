import { describe, expect, it } from 'vitest';
import { PATTERN_SOURCES, TokenizerFormatError, toJsRegExp } from './index.js';

describe('toJsRegExp (Rust regex semantics)', () => {
  it('uses Unicode White_Space for \\s: U+0085 is space, U+FEFF is not', () => {
    const whitespace = toJsRegExp('\\s+');
    expect('a\u0085b'.match(whitespace)).toEqual(['\u0085']);
    expect('a\ufeffb'.match(whitespace)).toBeNull();
    expect('a\ufeffb'.match(toJsRegExp('\\S+'))).toEqual(['a\ufeffb']);
    expect('x\u0085y'.match(toJsRegExp('[^\\s]+'))).toEqual(['x', 'y']);
  });

  it('expands (?i:...) with Unicode simple case folding (ſ folds to s)', () => {
    const contraction = toJsRegExp("(?i:'s|'ll)");
    expect("'s 'S 'ſ 'll 'LL 'lL".match(contraction)).toEqual(["'s", "'S", "'ſ", "'ll", "'LL", "'lL"]);
  });

  it('drops possessive markers but keeps greedy quantifiers after \\p{..}', () => {
    expect(toJsRegExp('\\p{L}++').source).toBe('\\p{L}+');
    expect(toJsRegExp('\\p{N}{1,3}+').source).toBe('\\p{N}{1,3}');
    expect(toJsRegExp('x?+y*+').source).toBe('x?y*');
    expect(toJsRegExp('\\p{L}+').source).toBe('\\p{L}+');
  });

  it('splits a worked sentence with each named pattern', () => {
    const text = "He's 12345 years\u0085old!!  ok\n\n";
    expect(text.match(toJsRegExp(PATTERN_SOURCES.gpt2))).toEqual([
      'He',
      "'s",
      ' 12345',
      ' years',
      '\u0085',
      'old',
      '!!',
      ' ',
      ' ok',
      '\n\n',
    ]);
    expect(text.match(toJsRegExp(PATTERN_SOURCES.cl100k))).toEqual([
      'He',
      "'s",
      ' ',
      '123',
      '45',
      ' years',
      '\u0085old',
      '!!',
      ' ',
      ' ok',
      '\n\n',
    ]);
  });

  it('raises a typed error on an invalid regex', () => {
    expect(() => toJsRegExp('(unclosed')).toThrow(TokenizerFormatError);
    expect(() => toJsRegExp('trailing\\')).toThrow(/lone backslash/);
  });
});
