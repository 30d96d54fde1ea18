import { type BpeDefinition, validateDefinition } from './bpe-definition.js';
import { applyMerges } from './bpe-merge.js';
import { scanCl100kUnits } from './cl100k-scanner.js';
import { DisallowedSpecialTokenError, TokenizerFormatError, UnknownTokenIdError } from './errors.js';
import { LruCache } from './lru-cache.js';
import { PairTable } from './pair-table.js';
import { PATTERN_SOURCES, type Pattern, patternSource, toJsRegExp } from './patterns.js';
import { PieceCountTable } from './piece-count-table.js';
import { prefixCounts } from './pre-token-prefix.js';
import { decodeUtf8Strict, encodeUtf8Into, latin1Key } from './utf8.js';
import { unitsOf } from './utf16-units.js';
import { cl100kSegments, type PreTokenPieces, WasmPreTokenCounter } from './wasm-pre-tokens.js';

/** Which special tokens `encode` may emit, or must refuse: `'all'` or a list of their texts. */
export type SpecialTokenSet = 'all' | Iterable<string>;

/** Options of {@link BpeTokenizerCore.encode}, with tiktoken's semantics. */
export interface EncodeOptions {
  /** Special tokens encoded as their id when their text appears. Default: none. */
  readonly allowedSpecial?: SpecialTokenSet;
  /** Special tokens whose text makes `encode` throw. Default `'all'`: every special token not allowed. */
  readonly disallowedSpecial?: SpecialTokenSet;
}

/** One token with the UTF-16 range of the input it came from. */
export interface TokenWithOffset {
  readonly id: number;
  /** UTF-16 offset of the first character this token has bytes of. */
  readonly start: number;
  /** UTF-16 offset just past the last character this token has bytes of. */
  readonly end: number;
}

/** Chunks longer than this (UTF-16 units) are not cached: they are rare and would evict useful entries. */
const MAX_CACHED_CHUNK = 256;
const DEFAULT_CACHE_SIZE = 65_536;
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const EMPTY = new Int32Array(0);

/**
 * Encoding and decoding over a validated {@link BpeDefinition}. Use {@link BpeTokenizer}, which adds
 * training and the file formats.
 */
export class BpeTokenizerCore {
  /** The definition this tokenizer was built from (tokens, merges, specials, pattern). */
  readonly definition: BpeDefinition;
  /** One past the largest id (mergeable or special). */
  readonly vocabSize: number;
  protected readonly pairs: PairTable;
  private readonly splitter: RegExp;
  private readonly byteIds = new Int32Array(256);
  private readonly bytesById: (Uint8Array | undefined)[];
  /** Chunk text → id, for every token that a whole chunk encodes to (the common case). */
  private readonly wholeChunk = new Map<string, number>();
  /** Token bytes (latin1 key) → id, for `ignoreMerges` chunks that are not valid UTF-16 text. */
  private readonly byBytes: Map<string, number> | undefined;
  private readonly cache: LruCache<string, Int32Array>;
  /** Whether the pattern is cl100k's, which a hand-written scanner splits without a RegExp. */
  private readonly scansCl100k: boolean;
  /** Token counts of the pieces {@link withPreTokens} has seen: in WebAssembly, made on first use (null: unavailable) … */
  private wasmCounts: WasmPreTokenCounter | null | undefined;
  /** Whether a `use` callback holds views of the WebAssembly memory. */
  private wasmInUse = false;
  /** … else in TypeScript. */
  private readonly pieceCounts = new PieceCountTable();
  private readonly specialPrefix: string;
  private readonly specialRegex: RegExp | undefined;
  private scratchBytes = new Uint8Array(1024);
  private scratchIds = new Int32Array(1024);

  constructor(definition: BpeDefinition, options: { cacheSize?: number } = {}) {
    validateDefinition(definition);
    this.definition = definition;
    this.splitter = toJsRegExp(patternSource(definition.pattern));
    this.scansCl100k = this.splitter.source === toJsRegExp(PATTERN_SOURCES.cl100k).source;
    const { tokens, merges, specialTokens } = definition;
    this.bytesById = tokens.slice();
    let maxId = tokens.length - 1;
    for (const [text, id] of specialTokens) {
      this.bytesById[id] = new TextEncoder().encode(text);
      maxId = Math.max(maxId, id);
    }
    this.vocabSize = maxId + 1;

    const byBytes = new Map<string, number>();
    for (let id = 0; id < tokens.length; id++) {
      const bytes = tokens[id];
      if (bytes === undefined) continue;
      const key = latin1Key(bytes);
      const existing = byBytes.get(key);
      if (existing !== undefined)
        throw new TokenizerFormatError(`tokens[${id}]`, key, `has the same bytes as token ${existing}`);
      if (bytes.length === 0) throw new TokenizerFormatError(`tokens[${id}]`, key, 'is empty');
      byBytes.set(key, id);
    }
    this.byteIds.fill(-1);
    for (let byte = 0; byte < 256; byte++) {
      const id = byBytes.get(String.fromCharCode(byte));
      if (id === undefined)
        throw new TokenizerFormatError(
          'tokens',
          byte,
          `byte 0x${byte.toString(16).padStart(2, '0')} has no token`,
        );
      this.byteIds[byte] = id;
    }

    this.pairs = new PairTable(merges.length);
    merges.forEach(([left, right], rank) => {
      const joined = latin1Key(tokens[left]!) + latin1Key(tokens[right]!);
      const result = byBytes.get(joined);
      if (result === undefined)
        throw new TokenizerFormatError(
          `merges[${rank}]`,
          [left, right],
          'produces bytes that are not a token',
        );
      if (!this.pairs.add(left, right, result))
        throw new TokenizerFormatError(`merges[${rank}]`, [left, right], 'repeats an earlier merge');
    });

    this.byBytes = definition.ignoreMerges ? byBytes : undefined;
    for (let id = 0; id < tokens.length; id++) {
      const bytes = tokens[id];
      if (bytes === undefined) continue;
      const text = decodeUtf8Strict(bytes);
      if (text === undefined) continue;
      // Without ignoreMerges a token is a whole-chunk shortcut only if BPE of its bytes gives it back.
      if (definition.ignoreMerges || this.mergeBytes(bytes, bytes.length).join() === String(id))
        this.wholeChunk.set(text, id);
    }

    this.cache = new LruCache(options.cacheSize ?? DEFAULT_CACHE_SIZE);
    const specials = [...specialTokens.keys()].sort((a, b) => b.length - a.length);
    this.specialPrefix = commonPrefix(specials);
    this.specialRegex =
      specials.length === 0 ? undefined : new RegExp(specials.map(escapeRegExp).join('|'), 'gu');
  }

  /** The pre-tokenizer pattern. */
  get pattern(): Pattern {
    return this.definition.pattern;
  }

  /** Special token text → id. */
  get specialTokens(): ReadonlyMap<string, number> {
    return this.definition.specialTokens;
  }

  /**
   * Encodes text to ids. Special-token text is refused unless allowed (tiktoken's semantics).
   *
   * @example
   * ```ts
   * tokenizer.encode('hello world'); // [15339, 1917] with cl100k_base
   * tokenizer.encode('<|endoftext|>', { allowedSpecial: 'all' }); // [100257]
   * ```
   */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const allowed = this.specialSet(options.allowedSpecial ?? []);
    const disallowedOption = options.disallowedSpecial ?? 'all';
    const disallowed =
      disallowedOption === 'all'
        ? new Set([...this.definition.specialTokens.keys()].filter((token) => !allowed.has(token)))
        : this.specialSet(disallowedOption);
    if (disallowed.size > 0) {
      const found = this.findSpecial(text, 0, disallowed);
      if (found) throw new DisallowedSpecialTokenError(found.token, found.offset);
    }
    const out: number[] = [];
    if (allowed.size === 0) {
      this.encodeOrdinaryInto(text, out);
      return out;
    }
    let position = 0;
    for (;;) {
      const found = this.findSpecial(text, position, allowed);
      if (!found) break;
      this.encodeOrdinaryInto(text.slice(position, found.offset), out);
      out.push(this.definition.specialTokens.get(found.token)!);
      position = found.offset + found.token.length;
    }
    this.encodeOrdinaryInto(position === 0 ? text : text.slice(position), out);
    return out;
  }

  /**
   * Encodes text with special-token text treated as plain text.
   *
   * @example
   * ```ts
   * tokenizer.encodeOrdinary('<|endoftext|>').length > 1; // true: encoded as ordinary characters
   * ```
   */
  encodeOrdinary(text: string): number[] {
    const out: number[] = [];
    this.encodeOrdinaryInto(text, out);
    return out;
  }

  /**
   * The pre-tokenizer's pieces of `text` (special-token text counted as ordinary text) and how many tokens
   * each encodes to. BPE never merges across pieces, so a slice of `text` cut at piece ends has as many
   * tokens as its pieces add up to: what a splitter needs to cut on a token budget with one encoding pass.
   * `ends[i]` is the UTF-16 offset just past piece i; the last end is `text.length`.
   *
   * @example
   * ```ts
   * tokenizer.preTokenCounts('hello world!'); // { ends: [5, 11, 12], tokens: [1, 1, 1] } with cl100k_base
   * ```
   */
  preTokenCounts(text: string): { ends: Int32Array; tokens: Int32Array } {
    return this.withPreTokens(text, ({ starts, prefix }) => {
      const pieces = starts.length - 1;
      const tokens = new Int32Array(pieces);
      for (let i = 0; i < pieces; i++) tokens[i] = prefix[i + 1]! - prefix[i]!;
      return { ends: starts.slice(1), tokens };
    });
  }

  /**
   * {@link preTokenCounts} as running sums, the form a splitter searches: piece i is
   * `text.slice(starts[i], starts[i + 1])`, and pieces i to j (exclusive) hold `prefix[j] - prefix[i]` tokens.
   * `starts[0]` is 0 and the last start is `text.length`.
   *
   * @example
   * ```ts
   * tokenizer.preTokenPrefix('hello world!'); // { starts: [0, 5, 11, 12], prefix: [0, 1, 2, 3] } with cl100k_base
   * ```
   */
  preTokenPrefix(text: string): { starts: Int32Array; prefix: Int32Array } {
    return this.withPreTokens(text, ({ starts, prefix }) => ({
      starts: starts.slice(),
      prefix: prefix.slice(),
    }));
  }

  /**
   * {@link preTokenPrefix} without copying, plus the largest piece count: hands the pieces to `use` and returns
   * what it returns. The arrays may be views of the tokenizer's WebAssembly memory, **valid only until `use`
   * returns** (copy what you keep). Counting is cl100k's hand-written scanner and a table of piece counts in
   * WebAssembly (SIMD) where the runtime has it, else the same in TypeScript; misses go to the BPE.
   *
   * @example
   * ```ts
   * // the tokens of the longest piece-aligned prefix of at most 100 tokens, without copying the arrays
   * tokenizer.withPreTokens(text, ({ starts, prefix }) => {
   *   let end = 0;
   *   while (end + 1 < starts.length && prefix[end + 1]! <= 100) end++;
   *   return text.slice(0, starts[end]);
   * });
   * ```
   */
  withPreTokens<R>(text: string, use: (pieces: PreTokenPieces) => R): R {
    const countPiece = (from: number, to: number) => this.pieceTokens(text.slice(from, to));
    if (this.wasmCounts === undefined) this.wasmCounts = WasmPreTokenCounter.create() ?? null;
    // A call from inside `use` would overwrite the views `use` holds: it takes the TypeScript path.
    const wasm = this.wasmInUse ? null : this.wasmCounts;
    const segments = wasm && this.scansCl100k ? cl100kSegments(text) : undefined;
    if (!wasm || (this.scansCl100k && !segments)) return use(this.typescriptPreTokens(text, countPiece));
    this.wasmInUse = true;
    try {
      if (segments) return wasm.scanCl100k(text, segments, countPiece, MAX_CACHED_CHUNK, use);
      return wasm.countPieces(text, this.regexStarts(text), countPiece, MAX_CACHED_CHUNK, use);
    } finally {
      this.wasmInUse = false;
    }
  }

  /** {@link withPreTokens}'s pieces counted in TypeScript, where WebAssembly is unavailable or in use. */
  private typescriptPreTokens(
    text: string,
    countPiece: (from: number, to: number) => number,
  ): PreTokenPieces {
    const units = unitsOf(text);
    let starts: Int32Array;
    if (this.scansCl100k) {
      const all = new Int32Array(text.length + 1);
      starts = all.slice(0, scanCl100kUnits(units, text.length, all, 1));
    } else starts = this.regexStarts(text);
    const pieces = starts.length - 1;
    const prefix = prefixCounts(units, starts, pieces, this.pieceCounts, MAX_CACHED_CHUNK, countPiece);
    let largest = 0;
    for (let i = 0; i < pieces; i++) largest = Math.max(largest, prefix[i + 1]! - prefix[i]!);
    return { starts, prefix, largest };
  }

  /** The starts of the pieces the pattern's RegExp matches, then `text.length`. */
  private regexStarts(text: string): Int32Array {
    const matched = text.match(this.splitter) ?? [];
    const starts = new Int32Array(matched.length + 1);
    let end = 0;
    for (let i = 0; i < matched.length; i++) starts[i + 1] = end += matched[i]!.length;
    return starts;
  }

  /** Tokens of one pre-token piece (a miss of the piece-count table). */
  private pieceTokens(piece: string): number {
    if (this.wholeChunk.has(piece)) return 1;
    return (this.cache.get(piece) ?? this.encodeChunk(piece)).length;
  }

  /**
   * Encodes many texts; equal to `texts.map(t => encode(t, options))`.
   *
   * @example
   * ```ts
   * tokenizer.encodeBatch(['a', 'b']); // [[64], [65]]
   * ```
   */
  encodeBatch(texts: Iterable<string>, options: EncodeOptions = {}): number[][] {
    const out: number[][] = [];
    for (const text of texts) out.push(this.encode(text, options));
    return out;
  }

  /**
   * Encodes text and reports, for each token, the UTF-16 range of the input it covers. A token holding only
   * part of a character's UTF-8 bytes covers that whole character, so neighbours may share a character.
   * Special tokens are handled as in {@link encode}.
   *
   * @example
   * ```ts
   * tokenizer.encodeWithOffsets('hi there'); // [{ id, start: 0, end: 2 }, { id, start: 2, end: 8 }]
   * ```
   */
  encodeWithOffsets(text: string, options: EncodeOptions = {}): TokenWithOffset[] {
    const ids = this.encode(text, options);
    const out: TokenWithOffset[] = [];
    let char = 0; // UTF-16 index of the character the next byte belongs to
    let byteInChar = 0; // bytes of that character already consumed
    const scratch = new Uint8Array(4);
    const charBytes = (at: number) => {
      const code = text.charCodeAt(at);
      const pair = code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(at + 1) & 0xfc00) === 0xdc00;
      return { bytes: encodeUtf8Into(text, at, at + (pair ? 2 : 1), scratch), units: pair ? 2 : 1 };
    };
    for (const id of ids) {
      const special = this.isSpecialId(id);
      if (special !== undefined && text.startsWith(special, char) && byteInChar === 0) {
        out.push({ id, start: char, end: char + special.length });
        char += special.length;
        continue;
      }
      const start = char;
      let remaining = this.bytesById[id]!.length;
      let end = char;
      while (remaining > 0 && char < text.length) {
        const { bytes, units } = charBytes(char);
        const take = Math.min(remaining, bytes - byteInChar);
        remaining -= take;
        byteInChar += take;
        end = char + units;
        if (byteInChar === bytes) {
          char += units;
          byteInChar = 0;
        }
      }
      out.push({ id, start, end });
    }
    return out;
  }

  /**
   * Decodes ids to the concatenated token bytes.
   *
   * @example
   * ```ts
   * tokenizer.decodeBytes([15339]); // Uint8Array [104, 101, 108, 108, 111] ("hello")
   * ```
   */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    let total = 0;
    for (let i = 0; i < ids.length; i++) total += this.tokenBytes(ids[i]!).length;
    const out = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.tokenBytes(ids[i]!);
      out.set(bytes, at);
      at += bytes.length;
    }
    return out;
  }

  /**
   * Decodes ids to text; invalid UTF-8 (e.g. a cut multi-byte character) becomes U+FFFD.
   *
   * @example
   * ```ts
   * tokenizer.decode(tokenizer.encode('héllo 👋')); // 'héllo 👋'
   * ```
   */
  decode(ids: ArrayLike<number>): string {
    return utf8Decoder.decode(this.decodeBytes(ids));
  }

  /**
   * The bytes of one token; throws {@link UnknownTokenIdError} for ids outside the vocabulary.
   *
   * @example
   * ```ts
   * tokenizer.tokenBytes(220); // Uint8Array [32] (" ") with cl100k_base
   * ```
   */
  tokenBytes(id: number): Uint8Array {
    const bytes = this.bytesById[id];
    if (bytes === undefined) throw new UnknownTokenIdError(id, this.vocabSize);
    return bytes;
  }

  /** The special token text of `id`, or `undefined` when `id` is not special. */
  private isSpecialId(id: number): string | undefined {
    if (id < this.definition.tokens.length && this.definition.tokens[id] !== undefined) return undefined;
    for (const [text, special] of this.definition.specialTokens) if (special === id) return text;
    return undefined;
  }

  private specialSet(set: SpecialTokenSet): Set<string> {
    if (set === 'all') return new Set(this.definition.specialTokens.keys());
    const out = new Set<string>();
    for (const token of set) {
      if (!this.definition.specialTokens.has(token))
        throw new TokenizerFormatError('allowedSpecial', token, 'is not a special token of this tokenizer');
      out.add(token);
    }
    return out;
  }

  /** Leftmost occurrence at or after `from` of any token in `set` (longest first at one offset). */
  private findSpecial(
    text: string,
    from: number,
    set: Set<string>,
  ): { token: string; offset: number } | undefined {
    if (this.specialRegex === undefined) return undefined;
    if (this.specialPrefix.length > 0) {
      // Fast path: every special starts with the same prefix (e.g. "<|"), and indexOf is a memchr-like scan.
      for (
        let at = text.indexOf(this.specialPrefix, from);
        at !== -1;
        at = text.indexOf(this.specialPrefix, at + 1)
      ) {
        for (const token of this.sortedSpecials())
          if (set.has(token) && text.startsWith(token, at)) return { token, offset: at };
      }
      return undefined;
    }
    this.specialRegex.lastIndex = from;
    for (let match = this.specialRegex.exec(text); match !== null; match = this.specialRegex.exec(text)) {
      for (const token of this.sortedSpecials())
        if (set.has(token) && text.startsWith(token, match.index)) return { token, offset: match.index };
      this.specialRegex.lastIndex = match.index + 1;
    }
    return undefined;
  }

  private sortedSpecialsCache: string[] | undefined;
  private sortedSpecials(): string[] {
    this.sortedSpecialsCache ??= [...this.definition.specialTokens.keys()].sort(
      (a, b) => b.length - a.length,
    );
    return this.sortedSpecialsCache;
  }

  private encodeOrdinaryInto(text: string, out: number[]): void {
    const chunks = text.match(this.splitter);
    if (chunks === null) return;
    const wholeChunk = this.wholeChunk;
    const cache = this.cache;
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c]!;
      const id = wholeChunk.get(chunk);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      let ids = cache.get(chunk);
      if (ids === undefined) {
        ids = this.encodeChunk(chunk);
        if (chunk.length <= MAX_CACHED_CHUNK) cache.set(chunk, ids);
      }
      for (let k = 0; k < ids.length; k++) out.push(ids[k]!);
    }
  }

  /** BPE of one pre-tokenized chunk (a cache miss). */
  private encodeChunk(chunk: string): Int32Array {
    if (chunk.length === 0) return EMPTY;
    if (this.scratchBytes.length < chunk.length * 3) this.scratchBytes = new Uint8Array(chunk.length * 3);
    const length = encodeUtf8Into(chunk, 0, chunk.length, this.scratchBytes);
    if (this.byBytes !== undefined) {
      const id = this.byBytes.get(latin1Key(this.scratchBytes, 0, length));
      if (id !== undefined) return Int32Array.of(id);
    }
    return this.mergeBytes(this.scratchBytes, length);
  }

  /** Byte tokens of `bytes[0, length)`, then all merges; returns a fresh array of ids. */
  private mergeBytes(bytes: Uint8Array, length: number): Int32Array {
    if (this.scratchIds.length < length) this.scratchIds = new Int32Array(length * 2);
    const ids = this.scratchIds;
    for (let i = 0; i < length; i++) ids[i] = this.byteIds[bytes[i]!]!;
    const merged = applyMerges(ids, length, this.pairs);
    return ids.slice(0, merged);
  }
}

function escapeRegExp(text: string): string {
  // Only syntax characters may be escaped under the `u` flag.
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function commonPrefix(texts: string[]): string {
  if (texts.length === 0) return '';
  let prefix = texts[0]!;
  for (const text of texts) while (!text.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}
