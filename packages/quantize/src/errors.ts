/**
 * Base class of every error this package throws.
 *
 * @example
 * ```ts
 * try { quantizeGgml('Q4_0', new Float32Array(33)); } catch (error) { if (error instanceof QuantizeError) console.log(error.message); }
 * ```
 */
export class QuantizeError extends Error {
  override name = 'QuantizeError';
}

/**
 * Input holds NaN or ±Infinity, which no format can represent faithfully; `index` is the first such element.
 *
 * @example
 * ```ts
 * quantizeGgml('Q8_0', Float32Array.of(...new Array(31).fill(0), NaN)); // NonFiniteValueError: element 31 is NaN
 * ```
 */
export class NonFiniteValueError extends QuantizeError {
  override name = 'NonFiniteValueError';
  constructor(
    readonly index: number,
    readonly value: number,
  ) {
    super(`element ${index} is ${value}; quantization needs finite values`);
  }
}

/**
 * A length is not a whole number of blocks (or rows) of the requested type.
 *
 * @example
 * ```ts
 * quantizeGgml('Q4_K', new Float32Array(100)); // BlockAlignmentError: 100 elements is not a multiple of Q4_K's block of 256
 * ```
 */
export class BlockAlignmentError extends QuantizeError {
  override name = 'BlockAlignmentError';
  constructor(
    readonly type: string,
    readonly length: number,
    readonly blockSize: number,
    what = 'elements',
  ) {
    super(`${length} ${what} is not a multiple of ${type}'s block of ${blockSize}`);
  }
}

/**
 * The encoded bytes do not have the size the type and element count require.
 *
 * @example
 * ```ts
 * dequantizeGgml('Q8_0', new Uint8Array(10), 32); // ByteLengthError: Q8_0 needs 34 bytes for 32 elements, got 10
 * ```
 */
export class ByteLengthError extends QuantizeError {
  override name = 'ByteLengthError';
  constructor(
    readonly type: string,
    readonly expected: number,
    readonly actual: number,
    readonly count: number,
  ) {
    super(`${type} needs ${expected} bytes for ${count} elements, got ${actual}`);
  }
}

/**
 * A type name or scheme option this package does not support.
 *
 * @example
 * ```ts
 * quantizeGgml('Q7_K' as never, data); // UnsupportedTypeError: Q7_K is not a supported ggml type
 * ```
 */
export class UnsupportedTypeError extends QuantizeError {
  override name = 'UnsupportedTypeError';
  constructor(
    readonly type: string,
    problem: string,
  ) {
    super(`${type} ${problem}`);
  }
}
