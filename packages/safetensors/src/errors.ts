/** What went wrong in a safetensors file, as a stable code. */
export type SafetensorsErrorCode =
  | 'TRUNCATED'
  | 'HEADER_TOO_LARGE'
  | 'BAD_JSON'
  | 'DUPLICATE_KEY'
  | 'BAD_METADATA'
  | 'BAD_ENTRY'
  | 'UNKNOWN_DTYPE'
  | 'BAD_SHAPE'
  | 'SIZE_MISMATCH'
  | 'BAD_OFFSETS';

/**
 * A safetensors file breaks a rule; `offset` is the byte where the problem was found (in the file) and
 * `field` names the tensor or header field.
 *
 * @example
 * ```ts
 * try { readSafetensors('model.safetensors'); } catch (error) { if (error instanceof SafetensorsError) console.log(error.code); }
 * ```
 */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
  constructor(
    readonly code: SafetensorsErrorCode,
    readonly offset: number,
    readonly field: string,
    problem: string,
  ) {
    super(`${problem} at offset ${offset} (${field})`);
  }
}

/**
 * The file is a Python pickle or a PyTorch zip checkpoint (`.bin`, `.pt`, `.pth`): loading one can run
 * arbitrary code, so it is refused outright.
 *
 * @example
 * ```ts
 * readSafetensors('pytorch_model.bin'); // PickleFileError: ... is a PyTorch zip checkpoint ...
 * ```
 */
export class PickleFileError extends Error {
  override name = 'PickleFileError';
  constructor(
    readonly path: string,
    readonly kind: 'pickle' | 'pytorch-zip',
  ) {
    super(
      `${path} is a ${kind === 'pickle' ? 'Python pickle' : 'PyTorch zip checkpoint'}, which can run arbitrary code when loaded; ` +
        'refusing it. Convert it to safetensors with a trusted tool first.',
    );
  }
}

/**
 * A `SafetensorsWriter` call that does not fit its state or arguments. Nothing is written when thrown.
 *
 * @example
 * ```ts
 * writer.declareTensor('w', { dtype: 'F33', shape: [2] }); // SafetensorsWriteError: unknown dtype F33 (w)
 * ```
 */
export class SafetensorsWriteError extends Error {
  override name = 'SafetensorsWriteError';
  constructor(
    readonly subject: string,
    problem: string,
  ) {
    super(`${problem} (${subject})`);
  }
}
