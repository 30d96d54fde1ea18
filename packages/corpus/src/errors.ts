/**
 * Base class of this package's errors.
 *
 * @example
 * ```ts
 * try { await packShards(documents, options); } catch (error) { if (error instanceof CorpusError) console.log(error.message); }
 * ```
 */
export class CorpusError extends Error {
  override name = 'CorpusError';
}

/**
 * A stage that needs at least one document got none (e.g. everything was filtered out).
 *
 * @example
 * ```ts
 * await packShards([], options); // EmptyCorpusError: packShards received no documents
 * ```
 */
export class EmptyCorpusError extends CorpusError {
  override name = 'EmptyCorpusError';
  constructor(readonly stage: string) {
    super(`${stage} received no documents`);
  }
}

/**
 * A token shard file is malformed: `field` names the header field, `value` the offending value.
 *
 * @example
 * ```ts
 * readShard('x.bin'); // ShardFormatError: magic 7 is not 20240520 (uint16) or 20240801 (uint32)
 * ```
 */
export class ShardFormatError extends CorpusError {
  override name = 'ShardFormatError';
  constructor(
    readonly path: string,
    readonly field: string,
    readonly value: number,
    problem: string,
  ) {
    super(`${path}: ${field} ${value} ${problem}`);
  }
}

/**
 * Options that cannot work (ratios that do not sum to 1, a shard size below 1, …).
 *
 * @example
 * ```ts
 * splitByGroup(documents, { train: 0.9, validation: 0.2, test: 0 }); // CorpusOptionsError
 * ```
 */
export class CorpusOptionsError extends CorpusError {
  override name = 'CorpusOptionsError';
  constructor(
    readonly option: string,
    readonly value: unknown,
    problem: string,
  ) {
    super(`${option} ${JSON.stringify(value)} ${problem}`);
  }
}

/**
 * A file could not be written (a full disk, no permission, …). Nothing was half-written: the file at
 * `path` is either the complete new one or unchanged.
 *
 * @example
 * ```ts
 * await packShards(documents, options); // CorpusWriteError: cannot write out/train_000003.bin: ENOSPC: no space left on device
 * ```
 */
export class CorpusWriteError extends CorpusError {
  override name = 'CorpusWriteError';
  readonly code: string | undefined;
  constructor(
    readonly path: string,
    cause: NodeJS.ErrnoException,
  ) {
    super(`cannot write ${path}: ${cause.message}`, { cause });
    this.code = cause.code;
  }
}
