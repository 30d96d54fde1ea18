import type { z } from 'zod';
import type { ChatClient, ClientMessage } from './chat-client.js';

/** What one structured request came to: the validated value, or why there is none, and what it cost. */
export type StructuredAnswer<T> = (
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: 'json' | 'schema'; readonly detail: string }
) & {
  readonly answer: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Summed over the rounds when the API reported it. */
  readonly cost?: number;
};

/** Sampling settings of a structured request. */
export interface StructuredRequestOptions {
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly signal?: AbortSignal;
}

/** The first JSON object in a model's answer (models wrap JSON in prose or fences despite being told). */
export function firstJsonObject(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) throw new SyntaxError('no JSON object in the answer');
  return JSON.parse(text.slice(start, end + 1));
}

/**
 * Asks for JSON matching a zod schema (sent as JSON Schema: Ollama `format`, OpenAI `response_format`),
 * validates the answer, and on failure sends one repair prompt with the errors; a second failure is
 * returned as `{ ok: false, reason, detail }` with the last answer. Request errors (after the client's
 * retries) are thrown.
 *
 * @example
 * ```ts
 * const result = await askForJson(client, messages, z.object({ score: z.number().int().min(1).max(5) }));
 * if (result.ok) console.log(result.value.score);
 * ```
 */
export async function askForJson<S extends z.ZodType>(
  client: ChatClient,
  messages: readonly ClientMessage[],
  schema: S,
  jsonSchema: Record<string, unknown>,
  example: string,
  options: StructuredRequestOptions = {},
): Promise<StructuredAnswer<z.output<S>>> {
  const conversation = [...messages];
  let promptTokens = 0;
  let completionTokens = 0;
  let cost: number | undefined;
  for (let round = 0; ; round++) {
    const reply = await client.chat({
      messages: conversation,
      jsonSchema,
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    promptTokens += reply.promptTokens;
    completionTokens += reply.completionTokens;
    if (reply.cost !== undefined) cost = (cost ?? 0) + reply.cost;
    const usage = { promptTokens, completionTokens, ...(cost !== undefined ? { cost } : {}) };
    const answer = reply.text;
    let reason: 'json' | 'schema';
    let detail: string;
    try {
      const parsed = schema.safeParse(firstJsonObject(answer));
      if (parsed.success) return { ok: true, value: parsed.data, answer, ...usage };
      reason = 'schema';
      detail = parsed.error.issues
        .map((issue) => `${issue.path.join('.') || 'answer'}: ${issue.message}`)
        .join('; ');
    } catch (error) {
      reason = 'json';
      detail = `not JSON (${(error as Error).message})`;
    }
    if (round === 1) return { ok: false, reason, detail, answer, ...usage };
    conversation.push(
      { role: 'assistant', content: answer },
      {
        role: 'user',
        content: `That answer is invalid: ${detail}. Answer again with only the JSON object ${example}.`,
      },
    );
  }
}
