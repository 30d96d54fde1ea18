import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServerConfig } from './config.js';
import { ApiError } from './errors.js';

/** A key's name and what it may use, once its bearer token matched. */
export interface Caller {
  readonly name: string;
  readonly models: readonly string[] | undefined;
  readonly admin: boolean;
}

/**
 * The sha256 a config stores for an API key.
 *
 * @example
 * ```ts
 * hashApiKey('sk-local-1'); // put this in keys[].sha256
 * ```
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Who is calling: the key whose sha256 matches the bearer token (compared in constant time against every
 * key, so timing tells nothing about which key nearly matched), or a 401. With no keys configured, anyone.
 */
export function authenticate(config: ServerConfig, authorization: string | undefined): Caller {
  if (config.keys.length === 0) return { name: 'anonymous', models: undefined, admin: true };
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token)
    throw new ApiError(
      401,
      'invalid_request_error',
      'invalid_api_key',
      'missing API key: send "Authorization: Bearer <key>"',
    );
  const offered = createHash('sha256').update(token).digest();
  let found: Caller | undefined;
  for (const key of config.keys)
    if (timingSafeEqual(offered, Buffer.from(key.sha256, 'hex')) && !found)
      found = { name: key.name, models: key.models, admin: key.admin };
  if (!found) throw new ApiError(401, 'invalid_request_error', 'invalid_api_key', 'invalid API key');
  return found;
}

/** A 403 unless the caller's key allows `model`. */
export function authorize(caller: Caller, model: string): void {
  if (caller.models && !caller.models.includes(model))
    throw new ApiError(
      403,
      'permission_error',
      'model_not_allowed',
      `key "${caller.name}" may not use model "${model}"`,
      'model',
    );
}
