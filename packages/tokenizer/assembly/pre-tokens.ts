// WebAssembly kernels for counting pre-tokens (compiled by AssemblyScript, see scripts/build-wasm.mjs):
// the cl100k scanner of src/cl100k-scanner.ts, alternative for alternative (plus a SIMD step over ASCII
// letters), and two tables of token counts keyed by the pieces' UTF-16 units. src/wasm-pre-tokens.ts lays out
// the memory and calls them; the TypeScript scanner and table are the readable reference and the fallback,
// and tests check the two agree.
//
// Memory (byte offsets set by `setup`): a 64 KiB table of BMP character classes, the short-piece table, the
// other pieces' slots and their key arena, then the caller's segment: UTF-16 units (at least eight zero
// units after them), piece starts, running sums, misses and the misses' counts.

// Character classes, as in src/cl100k-scanner.ts.
const LETTER: u32 = 1;
const NUMBER: u32 = 2;
const SPACE: u32 = 4;
/** \r or \n (also SPACE). */
const NEWLINE: u32 = 8;
const CLASS: u32 = 15;
const WIDTH_SHIFT: u32 = 4;

@external('env', 'astralClass')
declare function astralClass(codePoint: u32): u32;

let CLASSES: usize = 0;
let SHORT: usize = 0;
let SHORT_MASK: u32 = 0;
let SHORT_SHIFT: u64 = 0;
let shortEntries: u32 = 0;
let maxShortEntries: u32 = 0;
let SLOTS: usize = 0;
let SLOT_MASK: u32 = 0;
let SLOT_SHIFT: u32 = 0;
let ARENA: usize = 0;
let ARENA_BYTES: u32 = 0;
let arenaUsed: u32 = 0;
let entries: u32 = 0;
let maxEntries: u32 = 0;

/** Bytes per slot of the other pieces' table: see "the count table" below. */
const SLOT_BYTES: u32 = 32;

/**
 * Places the class table (filled by the caller), the short-piece table's `2^shortBits` 8-byte slots, the
 * other pieces' `2^slotBits` 32-byte slots (half of each may fill) and an arena of `arenaBytes` for their
 * keys, in memory that is still zero.
 */
export function setup(
  classes: usize,
  short: usize,
  shortBits: u32,
  slots: usize,
  slotBits: u32,
  arena: usize,
  arenaBytes: u32,
): void {
  CLASSES = classes;
  SHORT = short;
  SHORT_MASK = (1 << shortBits) - 1;
  SHORT_SHIFT = 64 - shortBits;
  maxShortEntries = 1 << (shortBits - 1);
  SLOTS = slots;
  SLOT_MASK = (1 << slotBits) - 1;
  SLOT_SHIFT = 32 - slotBits;
  ARENA = arena;
  ARENA_BYTES = arenaBytes;
  maxEntries = 1 << (slotBits - 1);
  // The memory is new, so the tables are empty (zero) already: not touching them keeps the pages uncommitted
  // until pieces arrive.
  shortEntries = 0;
  entries = 0;
  arenaUsed = 0;
}

/** Forgets every piece. */
export function clear(): void {
  clearShort();
  clearLong();
}

/** Forgets the short pieces. */
function clearShort(): void {
  memory.fill(SHORT, 0, (<usize>SHORT_MASK + 1) << 3);
  shortEntries = 0;
}

/** Forgets the other pieces and their keys. */
function clearLong(): void {
  memory.fill(SLOTS, 0, (<usize>SLOT_MASK + 1) * SLOT_BYTES);
  arenaUsed = 0;
  entries = 0;
}

/** Pieces held. */
export function size(): u32 {
  return shortEntries + entries;
}

// ---- the cl100k scanner ----

@inline function unit(units: usize, at: u32): u32 {
  return <u32>load<u16>(units + (<usize>at << 1));
}

@inline function classOf(code: u32): u32 {
  return <u32>load<u8>(CLASSES + code);
}

/** Class of the code point at `at`, with its width: `class | width << WIDTH_SHIFT`. */
@inline function classAt(units: usize, at: u32): u32 {
  const code = unit(units, at);
  if ((code & 0xf800) != 0xd800) return classOf(code) | (1 << WIDTH_SHIFT);
  const low = unit(units, at + 1);
  if ((code & 0xfc00) == 0xd800 && (low & 0xfc00) == 0xdc00)
    return astralClass(((code - 0xd800) << 10) + (low - 0xdc00) + 0x10000) | (2 << WIDTH_SHIFT);
  return 1 << WIDTH_SHIFT;
}

/** End of the run of code points from `from` whose class has a bit of `wanted`. */
@inline function runOf(units: usize, length: u32, from: u32, wanted: u32): u32 {
  let at = from;
  while (at < length) {
    const code = unit(units, at);
    if ((code & 0xf800) != 0xd800) {
      if ((classOf(code) & wanted) == 0) break;
      at++;
    } else {
      const here = classAt(units, at);
      if ((here & wanted) == 0) break;
      at += here >> WIDTH_SHIFT;
    }
  }
  return at;
}

/** Code points that are neither letter, number nor space (`[^\s\p{L}\p{N}]+`), then any \r and \n. */
@inline function symbolsThenNewlines(units: usize, length: u32, from: u32): u32 {
  let at = from;
  while (at < length) {
    const here = classAt(units, at);
    if ((here & (LETTER | NUMBER | SPACE)) != 0) break;
    at += here >> WIDTH_SHIFT;
  }
  while (at < length) {
    const code = unit(units, at);
    if (code != 10 && code != 13) break;
    at++;
  }
  return at;
}

/** Alternative 1: the end of `'s 't 're 've 'm 'll 'd` (any case; ſ folds to s) at `at`, or 0. */
@inline function contraction(units: usize, at: u32): u32 {
  const first = unit(units, at + 1) | 0x20; // ASCII lower case (past the text: zeros, no match)
  if (first == 0x73 || first == 0x74 || first == 0x6d || first == 0x64) return at + 2; // s t m d
  if (unit(units, at + 1) == 0x17f) return at + 2; // ſ
  const second = unit(units, at + 2) | 0x20;
  if ((first == 0x72 || first == 0x76) && second == 0x65) return at + 3; // re ve
  if (first == 0x6c && second == 0x6c) return at + 3; // ll
  return 0;
}

/** Alternatives 5–7 on the whitespace run `[at, runEnd)` (see src/cl100k-scanner.ts). */
@inline function whitespace(units: usize, at: u32, runEnd: u32, length: u32): u32 {
  for (let last = runEnd; last > at; last--) {
    const code = unit(units, last - 1);
    if (code == 10 || code == 13) return last;
  }
  if (runEnd == length || runEnd - at < 2) return runEnd;
  return runEnd - 1;
}

/** The end of the piece that starts at `at` (below `length`): the pattern's alternatives in order. */
@inline function pieceEnd(units: usize, length: u32, at: u32): u32 {
  const code = unit(units, at);
  if (code == 39) {
    const end = contraction(units, at);
    if (end != 0) return end;
  }
  const here = classAt(units, at);
  const kind = here & CLASS;
  const next = at + (here >> WIDTH_SHIFT);
  if (kind & LETTER) return runOf(units, length, next, LETTER);
  if ((kind & (NUMBER | NEWLINE)) == 0 && next < length && (classAt(units, next) & LETTER) != 0)
    return runOf(units, length, next, LETTER);
  if (kind & NUMBER) {
    let digitsEnd = next;
    for (let digits = 1; digits < 3 && digitsEnd < length; digits++) {
      const following = classAt(units, digitsEnd);
      if ((following & NUMBER) == 0) break;
      digitsEnd += following >> WIDTH_SHIFT;
    }
    return digitsEnd;
  }
  if (code == 32 && next < length && (classAt(units, next) & (LETTER | NUMBER | SPACE)) == 0)
    return symbolsThenNewlines(units, length, next);
  if ((kind & SPACE) == 0) return symbolsThenNewlines(units, length, at);
  return whitespace(units, at, runOf(units, length, at, SPACE), length);
}

/**
 * End of the letter run from `from`: eight units at a time while they are ASCII letters, then the general
 * loop from the first unit that is not (an ASCII non-letter ends the run at once; zeros follow the text).
 */
@inline function letterRun(units: usize, length: u32, from: u32): u32 {
  let at = from;
  for (;;) {
    // (unit | 0x20) - 'a' below 26: A-Z and a-z, the only letters below U+0080.
    const lowered = v128.or(v128.load(units + (<usize>at << 1)), i16x8.splat(0x20));
    const letters = i16x8.bitmask(i16x8.lt_u(i16x8.sub(lowered, i16x8.splat(0x61)), i16x8.splat(26)));
    if (letters != 0xff) {
      at += ctz<u32>(~letters);
      break;
    }
    at += 8;
  }
  if (at >= length || unit(units, at) < 0x80) return at;
  return runOf(units, length, at, LETTER);
}

/**
 * Counts the tokens of the pieces of `units[0, length)` (followed by at least eight zero units) from the
 * tables, writing the running sums to `prefix`: `prefix[0] = 0`, `prefix[i + 1] = prefix[i] + count of piece
 * i`. With `givenPieces` -1 the pieces are the cl100k scanner's, written to `starts` (`starts[0] = 0`, then
 * each piece's end); else they are the `givenPieces` already in `starts` (from 0, relative to the units). A
 * piece the tables
 * miss, or longer than `maxCached` units, counts 0 and its index goes to `misses` (`missed()` says how many;
 * {@link addMisses} adds their counts once known); `largest()` is the largest count found. Returns the number
 * of pieces.
 */
export function scanCount(
  units: usize,
  length: u32,
  starts: usize,
  givenPieces: i32,
  maxCached: u32,
  prefix: usize,
  misses: usize,
): u32 {
  store<i32>(starts, 0);
  store<i32>(prefix, 0);
  let pieces: u32 = 0;
  let missed: u32 = 0;
  let total: i32 = 0;
  let largest: i32 = 0;
  let at: u32 = 0;
  const given = givenPieces >= 0;
  while (given ? pieces < <u32>givenPieces : at < length) {
    const code = unit(units, at);
    let end: u32;
    if (given) end = <u32>load<i32>(starts + (<usize>(pieces + 1) << 2));
    // " word" and "word", the common pieces (alternative 2), before the general path: surrogates classify as 0.
    else if ((classOf(code) & LETTER) != 0) end = letterRun(units, length, at + 1);
    else if (code == 32 && (classOf(unit(units, at + 1)) & LETTER) != 0) end = letterRun(units, length, at + 2);
    else end = pieceEnd(units, length, at);
    const found = end - at <= maxCached ? find(units, at, end) : -1;
    if (found < 0) {
      store<u32>(misses + (<usize>missed << 2), pieces);
      missed++;
    } else {
      total += found;
      largest = max(largest, found);
    }
    pieces++;
    store<i32>(starts + (<usize>pieces << 2), end);
    store<i32>(prefix + (<usize>pieces << 2), total);
    at = end;
  }
  lastMissed = missed;
  lastLargest = largest;
  return pieces;
}

let lastMissed: u32 = 0;
let lastLargest: i32 = 0;
/** Misses of the last {@link scanCount}. */
export function missed(): u32 {
  return lastMissed;
}
/** The largest count the last {@link scanCount} found in the tables. */
export function largest(): i32 {
  return lastLargest;
}

/**
 * Adds the counts of the missed pieces (`misses[m]`, in increasing order, counting `counts[m]`) to the
 * running sums after them.
 */
export function addMisses(prefix: usize, pieces: u32, misses: usize, counts: usize, missed: u32): void {
  let added: i32 = 0;
  let m: u32 = 0;
  for (let i: u32 = 1; i <= pieces; i++) {
    // Piece i - 1 is the next miss: its count counts from prefix[i] on.
    while (m < missed && load<u32>(misses + (<usize>m << 2)) < i) {
      added += load<i32>(counts + (<usize>m << 2));
      m++;
    }
    const at = prefix + (<usize>i << 2);
    store<i32>(at, load<i32>(at) + added);
  }
}

// ---- the short-piece table ----
//
// A piece of one to seven ASCII characters (U+0001-U+007F) — 85% of English pre-tokens — is its own key: its
// bytes in a u64, and a slot (8 bytes, eight to a cache line) holds the key with the count in the top byte
// (0: empty). Nothing is compared character by character.

/** Most characters of a short piece: the top byte of the slot holds the count. */
const SHORT_PIECE: u32 = 7;

/** For a piece of 1 to 7 units all in U+0001-U+007F: its bytes, zero-padded; else 0. Reads eight units. */
@inline function shortKey(units: usize, from: u32, length: u32): u64 {
  if (length > SHORT_PIECE) return 0;
  const chars = v128.load(units + (<usize>from << 1));
  const outside = i16x8.bitmask(v128.or(i16x8.gt_u(chars, i16x8.splat(0x7f)), i16x8.eq(chars, i16x8.splat(0))));
  if ((outside & ((1 << length) - 1)) != 0) return 0;
  const bytes = i64x2.extract_lane(i8x16.narrow_i16x8_u(chars, chars), 0);
  return <u64>bytes & ((<u64>1 << (<u64>length << 3)) - 1);
}

/** The short slot holding `key`, or the empty slot where it would go. */
@inline function shortSlot(key: u64): usize {
  let slot = <u32>((key * 0x9e3779b97f4a7c15) >> SHORT_SHIFT);
  for (;;) {
    const at = SHORT + (<usize>slot << 3);
    const held = load<u64>(at);
    if (held == 0 || (held & 0x00ffffffffffffff) == key) return at;
    slot = (slot + 1) & SHORT_MASK;
  }
  return 0;
}

// ---- the count table ----
//
// A slot (32 bytes): the piece's first eight UTF-16 units (two u64, zeros past a shorter piece), then
// (length << 16 | count) u32 (0: empty), the hash u32 and, for a piece of more than eight units, where its
// units start in the arena (u32). A piece of up to eight units — nine in ten of English — is found by
// comparing two words, with no loop over its characters.

/** Units compared inline in the slot. */
const INLINE: u32 = 8;

// The key words of the piece last hashed (`hashOf` sets them).
let keyLow: u64 = 0;
let keyHigh: u64 = 0;

/** Hash of `units[from, to)`, setting `keyLow`/`keyHigh` to its first eight units (zero-padded). */
@inline function hashOf(units: usize, from: u32, to: u32): u32 {
  const at = units + (<usize>from << 1);
  const length = to - from;
  const bits = <u64>(length << 4);
  const lowMask: u64 = bits >= 64 ? <u64>-1 : (<u64>1 << bits) - 1;
  const highMask: u64 = bits >= 128 ? <u64>-1 : bits <= 64 ? 0 : (<u64>1 << (bits - 64)) - 1;
  keyLow = load<u64>(at) & lowMask;
  keyHigh = load<u64>(at, 8) & highMask;
  let hash: u64 = (keyLow * 0x9e3779b97f4a7c15) ^ (keyHigh * 0xc2b2ae3d27d4eb4f) ^ <u64>length;
  // Longer pieces mix in the rest, four units a step.
  if (length > INLINE) {
    let rest = at + 16;
    const end = at + (<usize>length << 1);
    while (rest + 8 <= end) {
      hash = (hash ^ load<u64>(rest)) * 0x9e3779b97f4a7c15;
      rest += 8;
    }
    while (rest < end) {
      hash = (hash ^ <u64>load<u16>(rest)) * 0x9e3779b97f4a7c15;
      rest += 2;
    }
  }
  hash ^= hash >> 29;
  hash *= 0xbf58476d1ce4e5b9;
  return <u32>(hash >> 32);
}

/** Whether `bytes` bytes at `a` and `b` are equal. */
function sameBytes(a: usize, b: usize, bytes: u32): bool {
  let k: u32 = 0;
  for (; k + 8 <= bytes; k += 8) if (load<u64>(a + k) != load<u64>(b + k)) return false;
  for (; k < bytes; k += 2) if (load<u16>(a + k) != load<u16>(b + k)) return false;
  return true;
}

/** The slot holding `units[from, to)` (hashed last by `hashOf` to `hash`), or the empty slot where it would go. */
@inline function slotOf(units: usize, from: u32, to: u32, hash: u32): usize {
  const length = to - from;
  let slot = hash >> SLOT_SHIFT;
  for (;;) {
    const at = SLOTS + (<usize>slot << 5);
    const header = load<u32>(at, 16);
    if (header == 0) return at;
    if (header >> 16 == length && load<u64>(at) == keyLow && load<u64>(at, 8) == keyHigh) {
      if (length <= INLINE) return at;
      if (
        load<u32>(at, 20) == hash &&
        sameBytes(ARENA + load<u32>(at, 24), units + (<usize>from << 1), length << 1)
      )
        return at;
    }
    slot = (slot + 1) & SLOT_MASK;
  }
  return 0;
}

/** The count stored for `units[from, to)`, or -1. */
@inline function find(units: usize, from: u32, to: u32): i32 {
  const key = shortKey(units, from, to - from);
  if (key != 0) {
    const held = load<u64>(shortSlot(key));
    return held == 0 ? -1 : <i32>(held >> 56);
  }
  const header = load<u32>(slotOf(units, from, to, hashOf(units, from, to)), 16);
  return header == 0 ? -1 : <i32>(header & 0xffff);
}

/** The count stored for `units[from, to)`, or -1. */
export function lookup(units: usize, from: u32, to: u32): i32 {
  return find(units, from, to);
}

/**
 * Stores `count` (below 65,536) for `units[from, to)` (1 to 32,767 units, not already held; eight readable
 * units from `from`). When its table is half full, or its arena cannot take the key, it forgets that table's
 * pieces first.
 */
export function insert(units: usize, from: u32, to: u32, count: u32): void {
  const length = to - from;
  const key = shortKey(units, from, length);
  if (key != 0) {
    if (shortEntries == maxShortEntries) clearShort();
    store<u64>(shortSlot(key), key | (<u64>count << 56));
    shortEntries++;
    return;
  }
  const bytes = length > INLINE ? length << 1 : 0;
  if (entries == maxEntries || arenaUsed + bytes > ARENA_BYTES) clearLong();
  const hash = hashOf(units, from, to);
  const at = slotOf(units, from, to, hash);
  store<u64>(at, keyLow);
  store<u64>(at, keyHigh, 8);
  store<u32>(at, (length << 16) | count, 16);
  store<u32>(at, hash, 20);
  if (bytes > 0) {
    memory.copy(ARENA + arenaUsed, units + (<usize>from << 1), bytes);
    store<u32>(at, arenaUsed, 24);
    arenaUsed += bytes;
  }
  entries++;
}

/** The first byte past the module's own data: where the caller's layout may begin. */
export function heapBase(): usize {
  return __heap_base;
}
