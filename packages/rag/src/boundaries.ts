/** How good a place a cut is, from inside a word (−1) to before a Markdown heading (4). */
export const INSIDE_WORD = -1;
export const WORD = 0;
export const SENTENCE = 1;
export const LINE = 2;
export const PARAGRAPH = 3;
export const SECTION = 4;

const HEADING_START = /^#{1,6}[ \t]/;

/** JavaScript's \\s plus U+0085 (NEL), which tiktoken's patterns count as whitespace and JavaScript does not. */
export const isSpace = (code: number): boolean =>
  code === 32 ||
  (code >= 9 && code <= 13) ||
  code === 0xa0 ||
  code === 0x85 ||
  code === 0x1680 ||
  (code >= 0x2000 && code <= 0x200a) ||
  code === 0x2028 ||
  code === 0x2029 ||
  code === 0x202f ||
  code === 0x205f ||
  code === 0x3000 ||
  code === 0xfeff;

// Characters that end a sentence, and closers that may follow them (". ! ? …" and CJK full stops).
const SENTENCE_ENDS = new Set([0x2e, 0x21, 0x3f, 0x2026, 0x3002, 0xff01, 0xff1f]);
const CLOSERS = new Set([0x22, 0x27, 0x29, 0x5d, 0x201d, 0x2019]);

/**
 * The strength of a cut at UTF-16 offset `at` of `text`, read from the run of whitespace around it: a blank
 * line is a paragraph break, a newline a line break, whitespace after ". ! ?" a sentence end, other
 * whitespace a word break; no whitespace means inside a word. With `markdown`, a line break before an
 * ATX heading (`## …`) is a section break. Character codes only: it runs once per pre-token.
 */
export function cutStrength(text: string, at: number, markdown: boolean): number {
  let from = at;
  while (from > 0 && isSpace(text.charCodeAt(from - 1))) from--;
  let to = at;
  while (to < text.length && isSpace(text.charCodeAt(to))) to++;
  if (from === to) return INSIDE_WORD;
  let newlines = 0;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 10) newlines++;
  if (newlines > 0 && markdown && HEADING_START.test(text.slice(to, to + 8))) return SECTION;
  if (newlines > 1) return PARAGRAPH;
  if (newlines === 1) return LINE;
  let before = from - 1;
  while (before > 0 && CLOSERS.has(text.charCodeAt(before))) before--;
  return before >= 0 && SENTENCE_ENDS.has(text.charCodeAt(before)) ? SENTENCE : WORD;
}
