import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Caller } from './auth.js';
import type { Engine } from './engine.js';
import { ApiError } from './errors.js';

/** Ollama's routes answer errors as `{ error }`, OpenAI's as `{ error: { message, type, param, code } }`. */
export const isOllamaRoute = (url: string) => url.startsWith('/api/');

/** The body validated by a zod schema; the first problem becomes a 400 naming the field. */
export function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ApiError(
      400,
      'invalid_request_error',
      'invalid_request',
      `${issue.path.join('.') || 'body'}: ${issue.message}`,
      issue.path.join('.') || null,
    );
  }
  return result.data;
}

/** An abort signal for the request: the client went away, the timeout passed, or the server is closing. */
export function requestSignal(reply: FastifyReply, timeoutMs: number, closing: AbortSignal): AbortSignal {
  const gone = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) gone.abort(new Error('client disconnected'));
  });
  return AbortSignal.any([gone.signal, AbortSignal.timeout(timeoutMs), closing]);
}

/** A message's text: a string, or the text parts of a content array joined. */
export const textOf = (content: string | { text: string }[]) =>
  typeof content === 'string' ? content : content.map((part) => part.text).join('');

/**
 * The model names a caller may use: each served base its key allows (all without a key list), followed by
 * `base+adapter` for each adapter loaded on it — what `/v1/models` and the MCP tools list.
 */
export function servedModelNames(engines: ReadonlyMap<string, Engine>, caller?: Caller): string[] {
  return [...engines]
    .filter(([name]) => !caller?.models || caller.models.includes(name))
    .flatMap(([name, engine]) => [name, ...engine.adapters().map((adapter) => `${name}+${adapter}`)]);
}
