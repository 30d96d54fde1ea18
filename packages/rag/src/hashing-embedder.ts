import type { Embedder } from './embedder.js';

const WORD = /[\p{L}\p{N}]+/gu;

/** FNV-1a, 32-bit (http://www.isthe.com/chongo/tech/comp/fnv/: offset basis 2166136261, prime 16777619). */
function fnv1a(text: string, seed: number): number {
  let hash = (2166136261 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash;
}

/**
 * An embedder that needs no model and no server: the feature-hashing trick (Weinberger et al., 2009) over
 * lower-cased words and word pairs, each feature hashed to one of `dimension` slots with a hashed sign,
 * weighted by 1 + ln(count), and the vector scaled to unit length. Texts that share words and phrases get
 * cosine similarity above zero; it knows no synonyms, so it is a lexical baseline, not a semantic model.
 *
 * @example
 * ```ts
 * const embedder = new HashingEmbedder(256);
 * const [a, b] = await embedder.embed(['the whale surfaced', 'a whale surfaced near the ship']);
 * ```
 */
export class HashingEmbedder implements Embedder {
  readonly id: string;
  constructor(readonly dimension = 256) {
    if (!Number.isInteger(dimension) || dimension < 8 || dimension > 8192)
      throw new RangeError(`dimension ${dimension} must be an integer in [8, 8192]`);
    this.id = `hashing-v1-${dimension}`;
  }

  /** Vectors of `texts` (synchronous work; returned as a promise for the Embedder interface). */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.vector(text));
  }

  private vector(text: string): Float32Array {
    const counts = new Map<string, number>();
    let previous: string | undefined;
    for (const match of text.toLowerCase().matchAll(WORD)) {
      const word = match[0];
      counts.set(word, (counts.get(word) ?? 0) + 1);
      if (previous !== undefined) {
        const pair = `${previous} ${word}`;
        counts.set(pair, (counts.get(pair) ?? 0) + 1);
      }
      previous = word;
    }
    const out = new Float32Array(this.dimension);
    for (const [feature, count] of counts) {
      const hash = fnv1a(feature, 0);
      const sign = fnv1a(feature, 0x9e3779b9) & 1 ? 1 : -1;
      out[hash % this.dimension]! += sign * (1 + Math.log(count));
    }
    let norm = 0;
    for (let i = 0; i < out.length; i++) norm += out[i]! * out[i]!;
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let i = 0; i < out.length; i++) out[i]! *= scale;
    }
    return out;
  }
}
