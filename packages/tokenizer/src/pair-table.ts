/**
 * Open-addressing hash table from a token pair `(left, right)` to its merge rank, on typed arrays: the hot
 * lookup of BPE encoding and tiktoken-rank conversion. Ranks are dense `0..size-1`; `resultOf[rank]` is
 * the id the merge produces.
 */
export class PairTable {
  private keysLeft: Int32Array;
  private keysRight: Int32Array;
  private ranks: Int32Array;
  private mask: number;
  /** `resultOf[rank]` is the token id produced by the merge with that rank. */
  resultOf: Int32Array;
  size = 0;

  constructor(expected: number) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.keysLeft = new Int32Array(capacity).fill(-1);
    this.keysRight = new Int32Array(capacity);
    this.ranks = new Int32Array(capacity);
    this.resultOf = new Int32Array(Math.max(16, expected));
  }

  private slot(left: number, right: number): number {
    // Multiplicative hashing with two odd 32-bit constants (golden ratio and murmur3's c2).
    return (Math.imul(left, 0x9e3779b1) ^ Math.imul(right + 0x7f4a7c15, 0x85ebca77)) & this.mask;
  }

  /** The rank of merge `(left, right)`, or -1 when there is none. */
  get(left: number, right: number): number {
    let slot = this.slot(left, right);
    for (;;) {
      const keyLeft = this.keysLeft[slot]!;
      if (keyLeft === -1) return -1;
      if (keyLeft === left && this.keysRight[slot] === right) return this.ranks[slot]!;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Adds merge `(left, right) → result` with the next rank; returns false when the pair is already present. */
  add(left: number, right: number, result: number): boolean {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    let slot = this.slot(left, right);
    for (;;) {
      const keyLeft = this.keysLeft[slot]!;
      if (keyLeft === -1) break;
      if (keyLeft === left && this.keysRight[slot] === right) return false;
      slot = (slot + 1) & this.mask;
    }
    this.keysLeft[slot] = left;
    this.keysRight[slot] = right;
    this.ranks[slot] = this.size;
    if (this.size >= this.resultOf.length) {
      const grown = new Int32Array(this.resultOf.length * 2);
      grown.set(this.resultOf);
      this.resultOf = grown;
    }
    this.resultOf[this.size++] = result;
    return true;
  }

  private grow(): void {
    const { keysLeft, keysRight, ranks } = this;
    const capacity = (this.mask + 1) * 2;
    this.mask = capacity - 1;
    this.keysLeft = new Int32Array(capacity).fill(-1);
    this.keysRight = new Int32Array(capacity);
    this.ranks = new Int32Array(capacity);
    for (let old = 0; old < keysLeft.length; old++) {
      const left = keysLeft[old]!;
      if (left === -1) continue;
      let slot = this.slot(left, keysRight[old]!);
      while (this.keysLeft[slot] !== -1) slot = (slot + 1) & this.mask;
      this.keysLeft[slot] = left;
      this.keysRight[slot] = keysRight[old]!;
      this.ranks[slot] = ranks[old]!;
    }
  }
}
