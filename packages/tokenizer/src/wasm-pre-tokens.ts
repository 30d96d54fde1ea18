import { astralClass, cl100kClasses } from './cl100k-scanner.js';
import { UNIT_PADDING, writeUnits } from './utf16-units.js';
import { PRE_TOKENS_WASM_BASE64 } from './wasm/pre-tokens.generated.js';

interface PreTokenExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  setup(
    classes: number,
    short: number,
    shortBits: number,
    slots: number,
    slotBits: number,
    arena: number,
    arenaBytes: number,
  ): void;
  scanCount(
    units: number,
    length: number,
    starts: number,
    givenPieces: number,
    maxCached: number,
    prefix: number,
    misses: number,
  ): number;
  missed(): number;
  largest(): number;
  addMisses(prefix: number, pieces: number, misses: number, counts: number, missed: number): void;
  lookup(units: number, from: number, to: number): number;
  insert(units: number, from: number, to: number, count: number): void;
  size(): number;
}

/** Counts a piece the table misses: the tokens of `text.slice(from, to)` of the whole text. */
export type CountPiece = (from: number, to: number) => number;

/**
 * A text's pre-token pieces with running token counts: piece i is `text.slice(starts[i], starts[i + 1])`,
 * pieces i to j (exclusive) hold `prefix[j] - prefix[i]` tokens, and no piece holds more than `largest`.
 */
export interface PreTokenPieces {
  readonly starts: Int32Array;
  readonly prefix: Int32Array;
  readonly largest: number;
}

const PAGE = 65536;
/** The tables' sizes: slots as powers of two, and key bytes of the longer pieces. */
export interface CountTableSizes {
  readonly shortBits: number;
  readonly slotBits: number;
  readonly arenaBytes: number;
}
/**
 * Slots of the two count tables (memory is touched only as pieces arrive), each starting over when half
 * full: 2^19 of 8 bytes (4 MiB) for pieces of up to seven ASCII characters, 2^18 of 32 bytes (8 MiB) for
 * the others, whose keys take up to 4 MiB (2 Mi UTF-16 units). The shared corpus's 39 MB hold ~190k distinct
 * pieces, most of them short.
 */
const DEFAULT_SIZES: CountTableSizes = { shortBits: 19, slotBits: 18, arenaBytes: 4 << 20 };
/** A text longer than this (UTF-16 units) is counted in segments: memory stays ~18 bytes per unit of one segment. */
const SEGMENT_UNITS = 1 << 20;
/** A longer stretch with no place to split goes to the TypeScript path rather than into 576 MiB of memory. */
const MAX_SEGMENT_UNITS = 1 << 24;

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, once; null where WebAssembly (with SIMD) or synchronous compilation is unavailable. */
function preTokensModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    compiled = new WebAssembly.Module(Uint8Array.from(atob(PRE_TOKENS_WASM_BASE64), (c) => c.charCodeAt(0)));
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Where a loaded segment's arrays sit in the module's memory. */
interface Segment {
  readonly units: number;
  readonly starts: number;
  readonly prefix: number;
  readonly misses: number;
  readonly missCounts: number;
}

/**
 * Pre-token counting in WebAssembly: the cl100k scanner and tables of token counts keyed by the pieces'
 * UTF-16 units, one instance per tokenizer (the counts are its vocabulary's). A piece the tables miss is
 * counted by the tokenizer's BPE (`countPiece`) and stored. Texts over 2^20 units go in segments
 * ({@link cl100kSegments}), so memory stays ~18 bytes per unit of one segment.
 *
 * @example
 * ```ts
 * const counter = WasmPreTokenCounter.create()!;
 * const countPiece = (from: number, to: number) => tokenizer.encodeOrdinary(text.slice(from, to)).length;
 * counter.scanCl100k('hello world!', [12], countPiece, 256, ({ prefix }) => [...prefix]); // [0, 1, 2, 3]
 * ```
 */
export class WasmPreTokenCounter {
  private readonly segment: number;

  private constructor(
    private readonly wasm: PreTokenExports,
    { shortBits, slotBits, arenaBytes }: CountTableSizes,
  ) {
    const classes = align(wasm.heapBase(), 16);
    const short = classes + 0x10000;
    const slots = short + 8 * 2 ** shortBits;
    const arena = slots + 32 * 2 ** slotBits;
    this.segment = align(arena + arenaBytes, 16);
    ensureMemory(wasm.memory, this.segment);
    new Uint8Array(wasm.memory.buffer, classes, 0x10000).set(cl100kClasses());
    wasm.setup(classes, short, shortBits, slots, slotBits, arena, arenaBytes);
  }

  /**
   * A counter, or undefined where WebAssembly is unavailable (the caller counts in TypeScript). `sizes`
   * are for tests that fill the tables.
   */
  static create(sizes = DEFAULT_SIZES): WasmPreTokenCounter | undefined {
    const module = preTokensModule();
    if (!module) return undefined;
    const instance = new WebAssembly.Instance(module, {
      env: {
        astralClass,
        abort() {
          throw new Error('pre-token kernel aborted');
        },
      },
    });
    return new WasmPreTokenCounter(instance.exports as unknown as PreTokenExports, sizes);
  }

  /** Pieces held by the count tables. */
  get pieces(): number {
    return this.wasm.size();
  }

  /**
   * Splits `text` with the cl100k pattern in the segments `segments` ({@link cl100kSegments}), counts each
   * piece's tokens, and hands the result to `use`. Its arrays may be views of the module's memory: valid only
   * until `use` returns.
   */
  scanCl100k<R>(
    text: string,
    segments: readonly number[],
    countPiece: CountPiece,
    maxCached: number,
    use: (pieces: PreTokenPieces) => R,
  ): R {
    if (segments.length === 1) return use(this.scanSegment(text, 0, countPiece, maxCached));
    const parts: { base: number; pieces: PreTokenPieces }[] = [];
    let from = 0;
    for (const to of segments) {
      parts.push({
        base: from,
        pieces: copy(this.scanSegment(text.slice(from, to), from, countPiece, maxCached)),
      });
      from = to;
    }
    return use(joinSegments(parts, text.length));
  }

  /**
   * Counts the tokens of the pieces `[starts[i], starts[i + 1])` of `text`, i below `starts.length - 1`, and
   * hands the running sums to `use`; its arrays may be views of the module's memory, valid until it returns.
   */
  countPieces<R>(
    text: string,
    starts: Int32Array,
    countPiece: CountPiece,
    maxCached: number,
    use: (pieces: PreTokenPieces) => R,
  ): R {
    const pieces = starts.length - 1;
    const parts: { base: number; pieces: PreTokenPieces }[] = [];
    for (let first = 0; first < pieces || parts.length === 0; ) {
      // Whole pieces up to a segment's length (at least one).
      let last = Math.min(first + 1, pieces);
      const base = starts[first]!;
      while (last < pieces && starts[last + 1]! - base <= SEGMENT_UNITS) last++;
      if (starts[last]! - base > SEGMENT_UNITS) {
        // One piece longer than a segment: past any cached length, so the BPE counts it, from the text.
        const tokens = countPiece(base, starts[last]!);
        const prefix = Int32Array.of(0, tokens);
        parts.push({
          base,
          pieces: { starts: Int32Array.of(0, starts[last]! - base), prefix, largest: tokens },
        });
        first = last;
        continue;
      }
      const segment = this.load(text.slice(base, starts[last]!));
      const relative = new Int32Array(this.wasm.memory.buffer, segment.starts, last - first + 1);
      for (let i = first; i <= last; i++) relative[i - first] = starts[i]! - base;
      const counted = this.countSegment(
        segment,
        starts[last]! - base,
        last - first,
        base,
        countPiece,
        maxCached,
      );
      if (first === 0 && last === pieces) return use(counted);
      parts.push({ base, pieces: copy(counted) });
      first = last;
    }
    return use(joinSegments(parts, text.length));
  }

  /** Writes a segment's units to the module's memory, with room after them for its other arrays. */
  private load(segment: string): Segment {
    const length = segment.length;
    const units = this.segment;
    const starts = align(units + 2 * (length + UNIT_PADDING), 16);
    const prefix = starts + 4 * (length + 1);
    const misses = prefix + 4 * (length + 1);
    const missCounts = misses + 4 * length;
    ensureMemory(this.wasm.memory, missCounts + 4 * length);
    writeUnits(segment, new Uint16Array(this.wasm.memory.buffer, units, length + UNIT_PADDING));
    return { units, starts, prefix, misses, missCounts };
  }

  /** Scans and counts one segment (at `base` in the text). */
  private scanSegment(
    segment: string,
    base: number,
    countPiece: CountPiece,
    maxCached: number,
  ): PreTokenPieces {
    return this.countSegment(this.load(segment), segment.length, -1, base, countPiece, maxCached);
  }

  /**
   * Counts a loaded segment of `length` units at `base` in the text: its `givenPieces` pieces already in the
   * module's starts, or (-1) the cl100k scanner's. The tables' misses are counted by `countPiece`, stored, and
   * added to the running sums.
   */
  private countSegment(
    segment: Segment,
    length: number,
    givenPieces: number,
    base: number,
    countPiece: CountPiece,
    maxCached: number,
  ): PreTokenPieces {
    const wasm = this.wasm;
    const pieces = wasm.scanCount(
      segment.units,
      length,
      segment.starts,
      givenPieces,
      maxCached,
      segment.prefix,
      segment.misses,
    );
    const missed = wasm.missed();
    let largest = wasm.largest();
    const buffer = wasm.memory.buffer;
    const starts = new Int32Array(buffer, segment.starts, pieces + 1);
    const prefix = new Int32Array(buffer, segment.prefix, pieces + 1);
    if (missed > 0) {
      const misses = new Int32Array(buffer, segment.misses, missed);
      const counts = new Int32Array(buffer, segment.missCounts, missed);
      for (let m = 0; m < missed; m++) {
        const from = starts[misses[m]!]!;
        const to = starts[misses[m]! + 1]!;
        const cached = to - from <= maxCached;
        let found = cached ? wasm.lookup(segment.units, from, to) : -1;
        if (found < 0) {
          found = countPiece(base + from, base + to);
          if (cached) wasm.insert(segment.units, from, to, found);
        }
        counts[m] = found;
        largest = Math.max(largest, found);
      }
      wasm.addMisses(segment.prefix, pieces, segment.misses, segment.missCounts, missed);
    }
    return { starts, prefix, largest };
  }
}

/**
 * Where `text` splits into segments for the cl100k scanner: the end of each, the last `text.length`; or
 * undefined when a segment would pass 2^24 units (32 MiB of units), which the caller counts in TypeScript.
 * A segment ends at the first place 2^20 units or more from its start where every pattern of this package
 * ends a piece and starts the next afresh:
 * - after "\n" followed by a letter: no alternative takes a "\n" and then a letter ([^\r\n…]?\p{L}+ excludes
 *   the "\n", [\r\n]+ and \s* stop at the letter);
 * - before a space between two letters: a piece holding a letter (a letter run, a contraction) ends at the
 *   space, and " " then letters is the next piece whatever came before.
 *
 * @example
 * ```ts
 * cl100kSegments('short text'); // [10]
 * ```
 */
export function cl100kSegments(text: string): number[] | undefined {
  const ends: number[] = [];
  const classes = cl100kClasses();
  const letter = (at: number) => (classes[text.charCodeAt(at)]! & 1) !== 0; // NaN past the end: not a letter
  for (let from = 0; text.length - from > SEGMENT_UNITS; ) {
    let end = from + SEGMENT_UNITS;
    while (
      end < text.length &&
      !(text.charCodeAt(end - 1) === 10 && letter(end)) &&
      !(text.charCodeAt(end) === 32 && letter(end - 1) && letter(end + 1))
    )
      end++;
    if (end - from > MAX_SEGMENT_UNITS) return undefined;
    if (end === text.length) break;
    ends.push(end);
    from = end;
  }
  if (text.length - (ends.at(-1) ?? 0) > MAX_SEGMENT_UNITS) return undefined;
  ends.push(text.length);
  return ends;
}

/** The arrays copied out of the module's memory. */
function copy(pieces: PreTokenPieces): PreTokenPieces {
  return { starts: pieces.starts.slice(), prefix: pieces.prefix.slice(), largest: pieces.largest };
}

/** The segments' pieces (each at `base` in the text), offset to the whole text and joined. */
function joinSegments(parts: { base: number; pieces: PreTokenPieces }[], length: number): PreTokenPieces {
  const total = parts.reduce((sum, part) => sum + part.pieces.starts.length - 1, 0);
  const starts = new Int32Array(total + 1);
  const prefix = new Int32Array(total + 1);
  let at = 0;
  let tokens = 0;
  let largest = 0;
  for (const { base, pieces } of parts) {
    const count = pieces.starts.length - 1;
    for (let i = 0; i < count; i++) {
      starts[at + i] = base + pieces.starts[i]!;
      prefix[at + i] = tokens + pieces.prefix[i]!;
    }
    at += count;
    tokens += pieces.prefix[count]!;
    largest = Math.max(largest, pieces.largest);
  }
  starts[total] = length;
  prefix[total] = tokens;
  return { starts, prefix, largest };
}

function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}

function ensureMemory(memory: WebAssembly.Memory, bytes: number): void {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / PAGE));
}
