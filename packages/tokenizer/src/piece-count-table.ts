/**
 * Token counts of pre-token pieces, keyed by the piece's UTF-16 units read in place from the text being
 * counted (`unitsOf`): a lookup hashes and compares units without building a string for the piece. The
 * TypeScript twin of the WebAssembly table in assembly/pre-tokens.ts, used where WebAssembly is unavailable. Open addressing
 * with linear probing: slots hold entry numbers; an entry is `[hash, length, key start, count]` and its units
 * sit in a key buffer. Bounded: when it holds `capacity` pieces it starts over.
 */
export class PieceCountTable {
  private readonly mask: number;
  /** Slots are indexed by the hash's top bits, which FNV's multiply mixes best. */
  private readonly shift: number;
  /** Entry number + 1 per slot; 0 = empty. Twice as many slots as entries keeps probes short. */
  private readonly slots: Int32Array;
  private readonly entries: Int32Array;
  private keys = new Uint16Array(1 << 16);
  private keyLength = 0;
  private size = 0;

  /** @param capacity - most pieces held before the table empties itself (default 2^18 = 262,144). */
  constructor(readonly capacity = 1 << 18) {
    const slotCount = 2 ** Math.ceil(Math.log2(capacity * 2));
    this.mask = slotCount - 1;
    this.shift = 32 - Math.log2(slotCount);
    this.slots = new Int32Array(slotCount);
    this.entries = new Int32Array(capacity * ENTRY);
  }

  /** Number of pieces held. */
  get pieces(): number {
    return this.size;
  }

  /** The count stored for `units[from, to)`, whose {@link hashUnits} is `hash`, or -1. */
  get(units: Uint16Array, from: number, to: number, hash: number): number {
    const length = to - from;
    const slots = this.slots;
    const entries = this.entries;
    const keys = this.keys;
    const mask = this.mask;
    for (let slot = hash >>> this.shift; ; slot = (slot + 1) & mask) {
      const entry = (slots[slot]! - 1) * ENTRY;
      if (entry < 0) return -1;
      if (entries[entry] !== hash || entries[entry + 1] !== length) continue;
      const start = entries[entry + 2]!;
      let k = 0;
      while (k < length && keys[start + k] === units[from + k]) k++;
      if (k === length) return entries[entry + 3]!;
    }
  }

  /** Stores `count` for `units[from, to)` (not already held), whose {@link hashUnits} is `hash`. */
  set(units: Uint16Array, from: number, to: number, hash: number, count: number): void {
    if (this.size === this.capacity) this.clear();
    const length = to - from;
    if (this.keyLength + length > this.keys.length) {
      const grown = new Uint16Array(Math.max(this.keys.length * 2, this.keyLength + length));
      grown.set(this.keys.subarray(0, this.keyLength));
      this.keys = grown;
    }
    this.keys.set(units.subarray(from, to), this.keyLength);
    const entry = this.size++;
    const at = entry * ENTRY;
    this.entries[at] = hash;
    this.entries[at + 1] = length;
    this.entries[at + 2] = this.keyLength;
    this.entries[at + 3] = count;
    this.keyLength += length;
    let slot = hash >>> this.shift;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = entry + 1;
  }

  /** Forgets every piece. */
  clear(): void {
    this.slots.fill(0);
    this.size = 0;
    this.keyLength = 0;
  }
}

/** Int32 words per entry: hash, length, key start, count. */
const ENTRY = 4;

/** 32-bit FNV-1a over `units[from, to)` (offset basis 2166136261, prime 16777619). */
export function hashUnits(units: Uint16Array, from: number, to: number): number {
  let hash = 0x811c9dc5 | 0;
  for (let k = from; k < to; k++) hash = Math.imul(hash ^ units[k]!, 0x01000193);
  return hash;
}
