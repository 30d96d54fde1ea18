import { readFileSync, watch } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type ServerConfig, serverConfigSchema } from './config.js';
import { ConfigError } from './errors.js';

/**
 * Validates a configuration object, or throws ConfigError listing each problem with its path.
 *
 * @example
 * ```ts
 * const config = parseConfig({ models: [{ name: 'tiny', path: 'tiny-q8_0.gguf' }] }, 'inline');
 * ```
 */
export function parseConfig(value: unknown, source: string): ServerConfig {
  const result = serverConfigSchema.safeParse(value);
  if (!result.success)
    throw new ConfigError(
      `${source}: ${result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`,
    );
  return result.data;
}

/**
 * Reads and validates a JSON or YAML config file (by extension; `.yaml`/`.yml` are YAML).
 *
 * @example
 * ```ts
 * const config = loadConfigFile('serve.yaml');
 * ```
 */
export function loadConfigFile(path: string): ServerConfig {
  let value: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    value = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: ${(error as Error).message}`);
  }
  return parseConfig(value, path);
}

/**
 * Calls `onChange` with each valid new version of the file, and `onError` when a change does not
 * validate (the caller keeps serving the old config). Returns a function that stops watching.
 */
export function watchConfigFile(
  path: string,
  onChange: (config: ServerConfig) => void,
  onError: (error: ConfigError) => void,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(path, () => {
    // Editors write in several steps: read once the file has been quiet for 100 ms.
    clearTimeout(timer);
    timer = setTimeout(() => {
      try {
        onChange(loadConfigFile(path));
      } catch (error) {
        onError(error instanceof ConfigError ? error : new ConfigError(String(error)));
      }
    }, 100);
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
