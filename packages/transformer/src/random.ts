/**
 * A seeded random generator (mulberry32) whose whole state is one 32-bit integer, so it can be saved in a
 * checkpoint and resumed exactly. Used for weight initialisation, batch sampling and dropout seeds.
 *
 * @example
 * ```ts
 * const random = new SeededRandom(42);
 * random.next(); // a number in [0, 1), the same for every run with seed 42
 * ```
 */
export class SeededRandom {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** An integer in [0, limit). */
  integer(limit: number): number {
    return Math.floor(this.next() * limit);
  }

  /** A standard normal sample (Box–Muller). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** `count` normal samples with standard deviation `std`. */
  normals(count: number, std: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.normal() * std;
    return out;
  }
}
