import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { GenerationRequestError } from './errors.js';

/** Where the helper model runs. OpenRouter and most hosted APIs are `openai` with their base URL. */
export interface ChatClientOptions {
  readonly provider: 'ollama' | 'openai';
  readonly model: string;
  /** Default: `http://127.0.0.1:11434` (Ollama) or OpenAI's API. */
  readonly baseURL?: string | undefined;
  /** Bearer token; never logged, never written to a file. */
  readonly apiKey?: string | undefined;
  /** Per request, ms. Default 120,000. */
  readonly timeoutMs?: number;
  /** Tries per request, the first included. Default 3. */
  readonly attempts?: number;
  /** First backoff, ms, doubled per retry with ±50% jitter (a Retry-After header wins). Default 1,000. */
  readonly baseDelayMs?: number;
}

/** A chat message sent to the helper model. */
export interface ClientMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** One generation request. */
export interface ChatRequest {
  readonly messages: readonly ClientMessage[];
  /** Asks for JSON matching this schema (Ollama `format`, OpenAI `response_format: json_schema, strict`). */
  readonly jsonSchema?: Record<string, unknown>;
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly signal?: AbortSignal;
}

/** The answer and what the API reported of its cost. */
export interface ChatAnswer {
  readonly text: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** What the request cost, when the API reports it (OpenRouter's `usage.cost`, in its credits). */
  readonly cost?: number;
}

const retriable = (status: number | undefined) => status === undefined || status === 429 || status >= 500;

function statusOf(error: unknown): { status: number | undefined; retryAfterMs: number | undefined } {
  const record = error as {
    status?: unknown;
    status_code?: unknown;
    headers?: { get?(name: string): string | null };
  };
  const raw = typeof record.status === 'number' ? record.status : record.status_code;
  const header = typeof record.headers?.get === 'function' ? record.headers.get('retry-after') : null;
  const seconds = header === null ? Number.NaN : Number(header);
  return {
    status: typeof raw === 'number' ? raw : undefined,
    retryAfterMs:
      header === null
        ? undefined
        : Number.isFinite(seconds)
          ? seconds * 1000
          : Math.max(0, Date.parse(header) - Date.now()),
  };
}

/** The provider's URL for messages, without credentials. */
function describe(options: ChatClientOptions): string {
  return `${options.provider === 'ollama' ? 'ollama' : 'openai-compatible'} ${options.baseURL ?? (options.provider === 'ollama' ? 'http://127.0.0.1:11434' : 'https://api.openai.com/v1')}`;
}

/**
 * One client for Ollama (npm `ollama`) and any OpenAI-compatible API (npm `openai`): chat with optional JSON
 * schema, model listing and a connection test, with timeouts and retries that honour Retry-After (429 and
 * 5xx and network errors are retried; other 4xx fail at once). Errors name the provider, never the key.
 *
 * @example
 * ```ts
 * const client = new ChatClient({ provider: 'openai', baseURL: 'https://openrouter.ai/api/v1', apiKey: process.env.OPENROUTER_API_KEY, model: 'meta-llama/llama-3.1-8b-instruct' });
 * const { text } = await client.chat({ messages: [{ role: 'user', content: 'Say hi' }] });
 * ```
 */
export class ChatClient {
  readonly provider: string;
  private readonly ollama: ((signal?: AbortSignal) => Ollama) | undefined;
  private readonly openai: OpenAI | undefined;
  constructor(readonly options: ChatClientOptions) {
    this.provider = describe(options);
    const timeout = options.timeoutMs ?? 120_000;
    if (options.provider === 'ollama') {
      const headers = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : undefined;
      // A client per request, with a fetch bound to the request's signal: the ollama package's own abort()
      // only reaches streamed requests, so a stalled server would hang a plain one forever.
      this.ollama = (signal) =>
        new Ollama({
          ...(options.baseURL ? { host: options.baseURL } : {}),
          ...(headers ? { headers } : {}),
          fetch: (input, init) => fetch(input, { ...init, ...(signal ? { signal } : {}) }),
        });
    } else
      this.openai = new OpenAI({
        apiKey: options.apiKey ?? 'unused',
        baseURL: options.baseURL,
        maxRetries: 0,
        timeout,
      });
  }

  /** The model name requests go to. */
  get model(): string {
    return this.options.model;
  }

  private async retrying<T>(request: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const attempts = this.options.attempts ?? 3;
    const base = this.options.baseDelayMs ?? 1000;
    for (let attempt = 1; ; attempt++) {
      const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 120_000);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      try {
        return await request(combined);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const { status, retryAfterMs } = statusOf(error);
        const detail = timeout.aborted
          ? `timed out after ${this.options.timeoutMs ?? 120_000} ms`
          : (error as Error).message;
        if (attempt >= attempts || !retriable(status))
          throw new GenerationRequestError(this.provider, status, attempt, detail);
        const wait = Math.min(30_000, retryAfterMs ?? base * 2 ** (attempt - 1) * (0.5 + Math.random()));
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** One answer to `request.messages`. */
  chat(request: ChatRequest): Promise<ChatAnswer> {
    const messages = request.messages.map((message) => ({ role: message.role, content: message.content }));
    return this.retrying(async (signal) => {
      if (this.ollama) {
        const reply = await this.ollama(signal).chat({
          model: this.model,
          messages,
          stream: false,
          ...(request.jsonSchema ? { format: request.jsonSchema } : {}),
          options: {
            ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
            ...(request.maxTokens ? { num_predict: request.maxTokens } : {}),
          },
        });
        return {
          text: reply.message.content,
          promptTokens: reply.prompt_eval_count ?? 0,
          completionTokens: reply.eval_count ?? 0,
        };
      }
      const reply = await this.openai!.chat.completions.create(
        {
          model: this.model,
          messages,
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.maxTokens ? { max_tokens: request.maxTokens } : {}),
          ...(request.jsonSchema
            ? {
                response_format: {
                  type: 'json_schema',
                  json_schema: { name: 'sample', schema: request.jsonSchema, strict: true },
                },
              }
            : {}),
        },
        { signal },
      );
      // OpenRouter adds `cost` to `usage`; the OpenAI types do not know it.
      const cost: unknown = (reply.usage as { cost?: unknown } | undefined)?.cost;
      return {
        text: reply.choices[0]?.message.content ?? '',
        promptTokens: reply.usage?.prompt_tokens ?? 0,
        completionTokens: reply.usage?.completion_tokens ?? 0,
        ...(typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? { cost } : {}),
      };
    }, request.signal);
  }

  /** The models the server offers (`/api/tags` or `/v1/models`). */
  listModels(signal?: AbortSignal): Promise<string[]> {
    return this.retrying(async (bound) => {
      if (this.ollama) return (await this.ollama(bound).list()).models.map((model) => model.name);
      const names: string[] = [];
      for await (const model of this.openai!.models.list()) names.push(model.id);
      return names;
    }, signal);
  }

  /** "Test the API": a tiny chat; resolves with the raw answer or rejects with a GenerationRequestError. */
  async test(signal?: AbortSignal): Promise<ChatAnswer> {
    return this.chat({
      messages: [{ role: 'user', content: 'Reply with the word ok.' }],
      maxTokens: 8,
      temperature: 0,
      ...(signal ? { signal } : {}),
    });
  }
}
