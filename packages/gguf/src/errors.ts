/** What went wrong in a GGUF file, as a stable code. */
export type GgufErrorCode =
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  | 'TRUNCATED'
  | 'LIMIT_EXCEEDED'
  | 'BAD_VALUE_TYPE'
  | 'NESTED_ARRAY'
  | 'EMPTY_KEY'
  | 'DUPLICATE_KEY'
  | 'BAD_ALIGNMENT'
  | 'BAD_STRING'
  | 'DUPLICATE_TENSOR'
  | 'BAD_TENSOR_NAME'
  | 'BAD_DIMENSIONS'
  | 'ELEMENT_OVERFLOW'
  | 'BAD_TENSOR_TYPE'
  | 'BAD_OFFSET'
  | 'DATA_OUT_OF_FILE';

/**
 * A GGUF file breaks a rule. `offset` is the byte where the offending field starts and `field` names it,
 * so a message reads like `GgufError: tensor count 2^63 exceeds 1,000,000 at offset 8 (tensor_count)`.
 *
 * @example
 * ```ts
 * try { await readGguf('model.gguf'); } catch (error) { if (error instanceof GgufError) console.log(error.code, error.offset); }
 * ```
 */
export class GgufError extends Error {
  override name = 'GgufError';
  constructor(
    readonly code: GgufErrorCode,
    readonly offset: number,
    readonly field: string,
    problem: string,
  ) {
    super(`${problem} at offset ${offset} (${field})`);
  }
}

/**
 * A `GgufWriter` call that does not fit its state or its arguments (wrong order, duplicate key or
 * tensor, value out of its type's range, data of the wrong size). Nothing is written when it is thrown.
 *
 * @example
 * ```ts
 * writer.setMetadata('general.name', { type: 'u8', value: 300 }); // GgufWriteError: u8 value 300 is out of range [0, 255] (general.name)
 * ```
 */
export class GgufWriteError extends Error {
  override name = 'GgufWriteError';
  constructor(
    readonly state: string,
    readonly subject: string,
    problem: string,
  ) {
    super(`${problem} (${subject}; writer state: ${state})`);
  }
}
