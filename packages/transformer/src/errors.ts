/**
 * Base class of this package's errors.
 *
 * @example
 * ```ts
 * try { new MiniGpt({ ...config, dModel: 100 }); } catch (error) { if (error instanceof TransformerError) console.log(error.message); }
 * ```
 */
export class TransformerError extends Error {
  override name = 'TransformerError';
}

/**
 * A model or training config is invalid: each problem names the field, the value and the rule.
 *
 * @example
 * ```ts
 * new MiniGpt({ vocabSize: 512, dModel: 100, nLayers: 2, nHeads: 4, dFf: 256, contextLength: 64 });
 * // ConfigError: dModel 100: must be a multiple of 32 (quantized export needs 32-element blocks)
 * ```
 */
export class ConfigError extends TransformerError {
  override name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

/**
 * A backend was asked for by name but cannot be used here (not installed, or not for this platform).
 *
 * @example
 * ```ts
 * await selectBackend('tensorflow'); // BackendUnavailableError: backend "tensorflow" needs @tensorflow/tfjs-node …
 * ```
 */
export class BackendUnavailableError extends TransformerError {
  override name = 'BackendUnavailableError';
  constructor(
    readonly backend: string,
    problem: string,
  ) {
    super(`backend "${backend}" ${problem}`);
  }
}

/**
 * Training stopped because the loss or the gradients were NaN or infinite for too many steps in a row.
 *
 * @example
 * ```ts
 * await trainer.fit(); // TrainingDivergedError: 5 steps in a row had a non-finite loss or gradient (limit 5) at step 812
 * ```
 */
export class TrainingDivergedError extends TransformerError {
  override name = 'TrainingDivergedError';
  constructor(
    readonly step: number,
    readonly consecutive: number,
    readonly limit: number,
  ) {
    super(`${consecutive} steps in a row had a non-finite loss or gradient (limit ${limit}) at step ${step}`);
  }
}
