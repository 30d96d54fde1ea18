import { EmbeddingDimensionError, EmbeddingRequestError } from './errors.js';

/** Checks a server's answer: one finite vector per text, all of the expected length. */
export function checkVectors(
  provider: string,
  embedder: string,
  vectors: unknown,
  count: number,
  dimension: number | undefined,
): Float32Array[] {
  if (!Array.isArray(vectors) || vectors.length !== count)
    throw new EmbeddingRequestError(
      provider,
      undefined,
      1,
      `expected ${count} vectors, got ${Array.isArray(vectors) ? vectors.length : typeof vectors}`,
    );
  const expected = dimension ?? (Array.isArray(vectors[0]) ? vectors[0].length : 0);
  return vectors.map((vector, i) => {
    if (
      !Array.isArray(vector) ||
      !vector.every((value) => typeof value === 'number' && Number.isFinite(value))
    )
      throw new EmbeddingRequestError(provider, undefined, 1, `vector ${i} is not a list of finite numbers`);
    if (vector.length !== expected)
      throw new EmbeddingDimensionError(embedder, vector.length, expected, 'the other vectors have');
    return Float32Array.from(vector);
  });
}
