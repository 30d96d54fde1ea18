import { createHash } from 'node:crypto';
import type { MiniGpt } from '@lm-stack/transformer';

/**
 * A fingerprint of a base model: sha256 over its config and every parameter's name, shape and float32
 * bytes. Adapters record it, and loading one onto another base fails on it. A base re-imported from an
 * F32 export hashes the same; a quantized one does not (its weights differ).
 *
 * @example
 * ```ts
 * baseModelHash(model); // '9a8b…' (64 hex digits)
 * ```
 */
export function baseModelHash(model: MiniGpt): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(model.toConfig()));
  for (const [name, variable] of model.parameters) {
    hash.update(`\n${name}[${variable.shape.join(',')}]\n`);
    const values = variable.dataSync() as Float32Array;
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex');
}
