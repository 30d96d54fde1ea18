import { cutStrength, isSpace, PARAGRAPH, SECTION, WORD } from './boundaries.js';
import { ChunkOptionsError } from './errors.js';
import { firstAtLeast, lastAtMost } from './sorted-search.js';
import { newlineOffsets, strongestCut } from './strongest-cut.js';

/**
 * What chunking needs of a tokenizer: any `@lm-stack/tokenizer` BpeTokenizer (cl100k, o200k, trained).
 * Documents are counted as ordinary text: a "<|endoftext|>" in a file is characters, not a special token.
 */
export interface TokenCounter {
  encodeOrdinary(text: string): number[];
  /**
   * Hands `use` the pre-tokenizer's pieces with running token counts (BpeTokenizer.withPreTokens): piece i
   * is `text.slice(starts[i], starts[i + 1])`, pieces i to j hold `prefix[j] - prefix[i]` tokens, and none
   * more than `largest`. The arrays need only be valid until `use` returns.
   */
  withPreTokens<R>(
    text: string,
    use: (pieces: { starts: Int32Array; prefix: Int32Array; largest: number }) => R,
  ): R;
}

/** Options of {@link chunkText}. */
export interface ChunkOptions {
  /** Measures chunks in its tokens. */
  readonly tokenizer: TokenCounter;
  /** Most tokens in a chunk. Default 512. */
  readonly chunkSize?: number;
  /** Tokens each chunk repeats from the end of the one before. Default 50. */
  readonly overlap?: number;
  /** Ends chunks before Markdown headings where it can, and records the headings each chunk sits under. */
  readonly markdown?: boolean;
}

/** A chunk of a text, with where it came from. */
export interface TextChunk {
  readonly text: string;
  /** UTF-16 offset of the chunk's first character in the source text. */
  readonly start: number;
  /** UTF-16 offset just past its last character: `source.slice(start, end) === text`. */
  readonly end: number;
  /** Its length in the tokenizer's tokens (exact: `tokenizer.encodeOrdinary(text).length`). */
  readonly tokens: number;
  /** Markdown headings in force at the chunk's start, outermost first (empty unless `markdown`). */
  readonly headings: readonly string[];
}

/** Below this share of chunkSize, a chunk does not end early at a stronger boundary. */
const MIN_FILL = 0.5;

/**
 * Splits `text` into chunks of at most `chunkSize` tokens that repeat `overlap` tokens of the previous chunk.
 * Chunks end at the strongest boundary that keeps them at least half full — a Markdown heading, then a blank
 * line, a line break, a sentence end, a space — and cut inside a word only when one word alone is longer than
 * a chunk. Offsets refer to `text` as given (no whitespace is trimmed), so the chunks minus their overlaps
 * concatenate back to it. Token counts are exact and come from one encoding pass (the tokenizer's pre-tokens, which BPE never
 * merges across).
 *
 * Unlike LangChain's RecursiveCharacterTextSplitter, the overlap is kept across paragraph and heading
 * boundaries too (it only overlaps pieces merged at the same separator level), and it never exceeds what was
 * asked (`overlap` must be below `chunkSize`).
 *
 * @example
 * ```ts
 * const tokenizer = await BpeTokenizer.fromTiktoken('cl100k_base');
 * const chunks = chunkText(readFileSync('guide.md', 'utf8'), { tokenizer, chunkSize: 256, overlap: 32, markdown: true });
 * console.log(chunks[0]); // { text: '# Guide\n\n…', start: 0, end: 1013, tokens: 251, headings: ['Guide'] }
 * ```
 */
export function chunkText(text: string, options: ChunkOptions): TextChunk[] {
  const { tokenizer, chunkSize = 512, overlap = 50, markdown = false } = options;
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new ChunkOptionsError(`chunkSize ${chunkSize} must be an integer ≥ 1`);
  if (!Number.isInteger(overlap) || overlap < 0)
    throw new ChunkOptionsError(`overlap ${overlap} must be an integer ≥ 0`);
  if (overlap >= chunkSize)
    throw new ChunkOptionsError(`overlap ${overlap} must be below chunkSize ${chunkSize}`);
  if (text.length === 0) return [];
  const count = (from: number, to: number) => tokenizer.encodeOrdinary(text.slice(from, to)).length;
  // Pieces are the tokenizer's pre-tokens: BPE never merges across them, so a chunk cut at piece ends has
  // exactly the tokens its pieces add up to — one encoding pass for the whole text.
  return tokenizer.withPreTokens(text, (preTokens) => {
    const { starts, prefix } = splitLongPieces(text, preTokens, chunkSize, count);
    return chunkPieces(text, starts, prefix, { chunkSize, overlap, markdown }, count);
  });
}

/** {@link chunkText} over the text's pieces: `starts` and running token counts `prefix` (no piece above chunkSize). */
function chunkPieces(
  text: string,
  starts: Int32Array,
  prefix: Int32Array,
  { chunkSize, overlap, markdown }: { chunkSize: number; overlap: number; markdown: boolean },
  count: (from: number, to: number) => number,
): TextChunk[] {
  const n = starts.length - 1;
  // Cut strengths are read only near chunk ends, so they are computed where asked, not for every piece.
  const strength = (piece: number) => cutStrength(text, starts[piece]!, markdown);
  const strongest = markdown ? SECTION : PARAGRAPH;
  const headings = markdown ? headingIndex(text) : undefined;
  const newlines = newlineOffsets(text);

  // Exact tokens of pieces [from, to) encoded on their own. Pre-tokens match the same from a piece start
  // on; only at the end can they differ, where the text's whitespace was split by a look-ahead past the cut
  // (cl100k's \s+(?!\S)): " \u0085" is two pre-tokens before "!" but one at the end of a slice. So a trailing
  // whitespace run is re-encoded from the piece boundary before it.
  // The overlap search asks about one `to` many times, so the last re-encoded tail is kept.
  let tailTo = -1;
  let tailBoundary = -1;
  let tailTokens = 0;
  const exactTokens = (from: number, to: number) => {
    if (to === tailTo && tailBoundary > from) return prefix[tailBoundary]! - prefix[from]! + tailTokens;
    const cut = starts[to]!;
    let run = cut;
    while (run > starts[from]! && isSpace(text.charCodeAt(run - 1))) run--;
    if (run === cut) return prefix[to]! - prefix[from]!;
    let boundary = to;
    while (boundary > from && starts[boundary]! > run) boundary--;
    const tail = count(starts[boundary]!, cut);
    if (boundary > from) [tailTo, tailBoundary, tailTokens] = [to, boundary, tail];
    return prefix[boundary]! - prefix[from]! + tail;
  };

  const chunks: TextChunk[] = [];
  for (let first = 0; first < n; ) {
    // The furthest piece boundary the token budget reaches (every piece has a token: prefix increases) …
    const last = lastAtMost(prefix, first, n, prefix[first]! + chunkSize);
    // … then the strongest boundary that keeps the chunk at least half full (ties: the later one).
    let end = last;
    if (last < n) {
      const fullEnough = firstAtLeast(prefix, first + 1, last, prefix[first]! + MIN_FILL * chunkSize);
      end = strongestCut(text, starts, newlines, fullEnough, last, markdown, strongest);
    }
    let size = exactTokens(first, end);
    while (size > chunkSize && end > first + 1) size = exactTokens(first, --end);
    const start = starts[first]!;
    const stop = starts[end]!;
    chunks.push({
      text: text.slice(start, stop),
      start,
      end: stop,
      tokens: size,
      headings: headings?.(start) ?? [],
    });
    if (end === n) break;
    // The overlap: as many whole pieces back from the end as fit in `overlap` tokens, starting at a word.
    let next = end;
    while (next - 1 > first && exactTokens(next - 1, end) <= overlap) next--;
    while (next < end && strength(next) < WORD) next++;
    first = next;
  }
  return chunks;
}

/**
 * The pre-token pieces of `text` as they are, or — where one holds more than `chunkSize` tokens (a long run
 * of symbols) — with such pieces cut at the longest prefixes that fit, counted exactly.
 */
function splitLongPieces(
  text: string,
  { starts, prefix, largest }: { starts: Int32Array; prefix: Int32Array; largest: number },
  chunkSize: number,
  count: (from: number, to: number) => number,
): { starts: Int32Array; prefix: Int32Array } {
  const n = starts.length - 1;
  if (starts[0] !== 0 || starts[n] !== text.length || prefix.length !== n + 1)
    throw new ChunkOptionsError(
      `the tokenizer's pre-tokenizer covers ${starts[0]} to ${starts[n]} of ${text.length} characters`,
    );
  if (largest <= chunkSize) return { starts, prefix };
  const startList: number[] = [];
  const prefixList: number[] = [0];
  for (let i = 0; i < n; i++) {
    let from = starts[i]!;
    const to = starts[i + 1]!;
    let remaining = prefix[i + 1]! - prefix[i]!;
    while (remaining > chunkSize) {
      // Binary search for the longest prefix of at most chunkSize tokens, not splitting a surrogate pair.
      let low = from + 1;
      let high = to - 1;
      while (low < high) {
        const middle = Math.ceil((low + high) / 2);
        if (count(from, middle) <= chunkSize) low = middle;
        else high = middle - 1;
      }
      if (low > from + 1 && (text.charCodeAt(low) & 0xfc00) === 0xdc00) low--;
      startList.push(from);
      prefixList.push(prefixList.at(-1)! + count(from, low));
      from = low;
      remaining = count(from, to);
    }
    startList.push(from);
    prefixList.push(prefixList.at(-1)! + remaining);
  }
  startList.push(text.length);
  return { starts: Int32Array.from(startList), prefix: Int32Array.from(prefixList) };
}

/** For Markdown: the heading path in force at each offset (`#` … `######` lines, outside code fences). */
function headingIndex(text: string): (offset: number) => string[] {
  const entries: { offset: number; path: string[] }[] = [];
  const path: { level: number; title: string }[] = [];
  let fenced = false;
  const line = /^(.*)$/gm;
  for (let match = line.exec(text); match; match = line.exec(text)) {
    if (match[0].length === 0) line.lastIndex++;
    if (/^\s*(```|~~~)/.test(match[1]!)) fenced = !fenced;
    const heading = fenced ? null : /^(#{1,6})[ \t]+(.+?)[ \t#]*$/.exec(match[1]!);
    if (!heading) continue;
    const level = heading[1]!.length;
    while (path.length && path[path.length - 1]!.level >= level) path.pop();
    path.push({ level, title: heading[2]!.trim() });
    entries.push({ offset: match.index, path: path.map((entry) => entry.title) });
  }
  return (offset) => {
    // The last heading that starts at or before the chunk's first word (a chunk may begin with "\n\n# …").
    const firstWord = offset + (/\S/.exec(text.slice(offset, offset + 4096))?.index ?? 0);
    let low = 0;
    let high = entries.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (entries[middle]!.offset <= firstWord) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found < 0 ? [] : entries[found]!.path;
  };
}
