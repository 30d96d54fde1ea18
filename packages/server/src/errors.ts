/**
 * Base class of this package's errors.
 *
 * @example
 * ```ts
 * try { loadConfigFile('serve.yaml'); } catch (error) { if (error instanceof ServerError) console.error(error.message); }
 * ```
 */
export class ServerError extends Error {
  override name = 'ServerError';
}

/**
 * A config file that does not parse or does not validate: every problem with its path in the file.
 *
 * @example
 * ```ts
 * // ConfigError: serve.yaml: models.0.path: Required; limits.concurrency: Number must be greater than 0
 * ```
 */
export class ConfigError extends ServerError {
  override name = 'ConfigError';
}

/**
 * An error an API client sees: HTTP status, OpenAI-style type and code, a message without secrets.
 *
 * @example
 * ```ts
 * throw new ApiError(404, 'invalid_request_error', 'model_not_found', 'model "gpt-5" is not served here');
 * ```
 */
export class ApiError extends ServerError {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/**
 * The 404 for a request naming an adapter its model has not loaded, listing the ones it has.
 *
 * @example
 * ```ts
 * throw adapterNotLoaded('chat', 'sotu', []); // adapter "chat" is not loaded for model "sotu" (loaded: none)
 * ```
 */
export function adapterNotLoaded(
  adapter: string | undefined,
  model: string,
  loaded: readonly string[],
): ApiError {
  return new ApiError(
    404,
    'invalid_request_error',
    'adapter_not_found',
    `adapter "${adapter}" is not loaded for model "${model}" (loaded: ${loaded.join(', ') || 'none'})`,
    'model',
  );
}
