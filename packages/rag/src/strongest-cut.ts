import { cutStrength, INSIDE_WORD, isSpace, LINE, SENTENCE } from './boundaries.js';
import { lastAtMost } from './sorted-search.js';

/**
 * The piece boundary in `[low, high]` with the strongest {@link cutStrength}, the later one on ties: where a
 * chunk that may end anywhere from piece `low` to piece `high` should end. `starts[k]` is the UTF-16 offset
 * of piece boundary k; `newlines` the offsets of the text's "\n" ({@link newlineOffsets}).
 *
 * Equal to trying every k from `high` down, but it visits line breaks, not every piece: a line or paragraph
 * break is a whitespace run with a "\n", and a binary search finds the latest boundary touching each run.
 * Only when the range holds no newline does it walk the pieces, and then it stops at the first sentence end
 * from the top (nothing stronger is left). `strongest` ends the search early (PARAGRAPH, or SECTION for
 * Markdown).
 *
 * @example
 * ```ts
 * // "One. Two\n\nThree four" cut at the pieces "One" "." " Two" "\n\n" "Three" " four"
 * const text = "One. Two\n\nThree four";
 * strongestCut(text, Int32Array.of(0, 3, 4, 8, 10, 15, 20), newlineOffsets(text), 1, 5, false, PARAGRAPH); // 4
 * ```
 */
export function strongestCut(
  text: string,
  starts: Int32Array,
  newlines: Int32Array,
  low: number,
  high: number,
  markdown: boolean,
  strongest: number,
): number {
  const lowOffset = starts[low]!;
  let best = INSIDE_WORD - 1;
  let end = high;
  // Newline runs, latest first, starting with the run the highest boundary sits in.
  let runEnd = starts[high]!;
  while (runEnd < text.length && isSpace(text.charCodeAt(runEnd))) runEnd++;
  for (let line = lastAtMost(newlines, 0, newlines.length - 1, runEnd - 1); line >= 0; ) {
    const newline = newlines[line]!;
    let runStart = newline;
    while (runStart > 0 && isSpace(text.charCodeAt(runStart - 1))) runStart--;
    let after = newline + 1;
    while (after < text.length && isSpace(text.charCodeAt(after))) after++;
    if (after < lowOffset) break;
    const k = lastAtMost(starts, low, high, after);
    if (k >= low && starts[k]! >= runStart) {
      const here = cutStrength(text, starts[k]!, markdown);
      if (here > best) {
        best = here;
        end = k;
        if (best >= strongest) return end;
      }
    }
    // The run's other newlines give the same boundaries: go on before the run.
    while (line >= 0 && newlines[line]! >= runStart) line--;
  }
  if (best >= LINE) return end;
  // No newline touches the range: sentence ends, then spaces, the latest first.
  for (let k = high; k >= low; k--) {
    const here = cutStrength(text, starts[k]!, markdown);
    if (here > best) {
      best = here;
      end = k;
      if (best === SENTENCE) break;
    }
  }
  return end;
}

/**
 * The UTF-16 offsets of every "\n" in `text`, in order.
 *
 * @example
 * ```ts
 * newlineOffsets('a\nb\n'); // Int32Array [1, 3]
 * ```
 */
export function newlineOffsets(text: string): Int32Array {
  let offsets = new Int32Array(Math.min(1024, text.length));
  let count = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) {
    if (count === offsets.length) {
      const grown = new Int32Array(offsets.length * 2);
      grown.set(offsets);
      offsets = grown;
    }
    offsets[count++] = at;
  }
  return offsets.subarray(0, count);
}
