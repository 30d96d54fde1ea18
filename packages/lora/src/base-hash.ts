import { createHash } from 'node:crypto';
import type { MiniGpt } from '@lm-stack/transformer';

/**
 * A fingerprint of a base model: sha256 over its head counts and every parameter's name, shape and
 * float32 bytes. Adapters record it, and loading one onto another base fails on it. A base re-imported from an
 * F32 export hashes the same; a quantized one does not (its weights differ).
 *
 * @example
 * ```ts
 * baseModelHash(model); // '9a8b…' (64 hex digits)
 * ```
 */
export function baseModelHash(model: MiniGpt): string {
  const hash = createHash('sha256');
  // The weights and the head split (which the weights' shapes do not show); not training-only settings such
  // as dropout, nor values a file stores rounded (normEps as f32), so an F32 GGUF round trip hashes the same.
  hash.update(JSON.stringify({ heads: model.config.nHeads, kvHeads: model.kvHeads }));
  for (const [name, variable] of model.parameters) {
    hash.update(`\n${name}[${variable.shape.join(',')}]\n`);
    const values = variable.dataSync() as Float32Array;
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex');
}
