/**
 * Base class of this package's errors.
 *
 * @example
 * ```ts
 * try { await generateDataset(options); } catch (error) { if (error instanceof SftError) console.error(error.message); }
 * ```
 */
export class SftError extends Error {
  override name = 'SftError';
}

/**
 * A request to the helper model failed after its retries: unreachable, HTTP error, or a timeout.
 *
 * @example
 * ```ts
 * // GenerationRequestError: openai-compatible http://127.0.0.1:11435/v1: HTTP 401 after 1 attempt: invalid API key
 * ```
 */
export class GenerationRequestError extends SftError {
  override name = 'GenerationRequestError';
  constructor(
    readonly provider: string,
    readonly status: number | undefined,
    readonly attempts: number,
    detail: string,
  ) {
    super(
      `${provider}: ${status ? `HTTP ${status}` : 'request failed'} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${detail}`,
    );
  }
}

/**
 * A template names a variable that was not given.
 *
 * @example
 * ```ts
 * renderTemplate('Write about {topic}', {}); // TemplateError: template variable {topic} has no value (given: none)
 * ```
 */
export class TemplateError extends SftError {
  override name = 'TemplateError';
}

/**
 * Curation kept fewer samples than asked for.
 *
 * @example
 * ```ts
 * // MinCuratedError: 37 samples kept of 50 generated, fewer than --min-curated 40 (duplicate 9, too short 4)
 * ```
 */
export class MinCuratedError extends SftError {
  override name = 'MinCuratedError';
  constructor(
    readonly kept: number,
    readonly minimum: number,
    readonly reasons: ReadonlyMap<string, number>,
  ) {
    super(
      `${kept} samples kept, fewer than the minimum ${minimum} (${[...reasons].map(([reason, n]) => `${reason} ${n}`).join(', ') || 'none rejected'})`,
    );
  }
}

/**
 * A dataset file or record that is not in a format this package reads, with where it is.
 *
 * @example
 * ```ts
 * // DatasetFormatError: data.jsonl:3: messages[1].role "bot" is not system, user or assistant
 * ```
 */
export class DatasetFormatError extends SftError {
  override name = 'DatasetFormatError';
  constructor(
    readonly where: string,
    readonly detail: string,
  ) {
    super(`${where}: ${detail}`);
  }
}

/**
 * A gate threshold was missed: the numbers that failed, for the exit-code-2 message.
 *
 * @example
 * ```ts
 * // GateError: judge mean 2.40 < 3.50 (n = 20); held-out loss 3.912 > 3.000
 * ```
 */
export class GateError extends SftError {
  override name = 'GateError';
  constructor(readonly failures: readonly string[]) {
    super(failures.join('; '));
  }
}
