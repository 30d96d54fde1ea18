import { describe, expect, it } from 'vitest';
import { assertFiniteLogits, NonFiniteLogitsError } from './llama-checks.js';

describe('assertFiniteLogits', () => {
  it('passes finite logits and names the file, position, token and value of the first NaN or ±Infinity', () => {
    expect(() => assertFiniteLogits('a.gguf', [Float32Array.of(-3.5, 0, 1e30)])).not.toThrow();
    const rows = [Float32Array.of(0.5, 1), Float32Array.of(2, Number.NaN), Float32Array.of(-Infinity, 0)];
    let error: unknown;
    try {
      assertFiniteLogits('model-q8_0.gguf', rows);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NonFiniteLogitsError);
    expect(error).toMatchObject({ file: 'model-q8_0.gguf', position: 1, token: 1 });
    expect(Number.isNaN((error as NonFiniteLogitsError).value)).toBe(true);
    expect((error as Error).message).toMatch(
      /^llama\.cpp returned logit NaN for token 1 at position 1 of model-q8_0\.gguf \(ggml CPU build [a-z0-9_]+\)/,
    );
    expect(() => assertFiniteLogits('b.gguf', [Float32Array.of(0, Infinity)])).toThrow(
      /logit Infinity for token 1 at position 0 of b\.gguf/,
    );
  });
});
