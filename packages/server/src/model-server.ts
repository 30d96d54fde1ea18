import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { getLlama, type Llama } from 'node-llama-cpp';
import type { z } from 'zod';
import {
  adapterRequest,
  chatCompletionRequest,
  completionRequest,
  embeddingRequest,
  ollamaChatRequest,
  ollamaGenerateRequest,
  ollamaShowRequest,
} from './api-schemas.js';
import { authenticate, authorize, type Caller } from './auth.js';
import type { ModelConfig, ServerConfig } from './config.js';
import type { ChatMessage, Engine, GenerationParams, GenerationResult } from './engine.js';
import { ApiError } from './errors.js';
import { Limiter } from './limiter.js';
import { LlamaEngine } from './llama-engine.js';
import { ServerMetrics } from './metrics.js';

/** Options of {@link ModelServer.start}. */
export interface ModelServerOptions {
  /** A llama.cpp instance to share; one is made (CPU, prebuilt binaries) otherwise. */
  readonly llama?: Llama;
  /** Structured JSON logs (Fastify's pino); default on. The Authorization header is never logged. */
  readonly logger?: boolean;
}

const isOllamaRoute = (url: string) => url.startsWith('/api/');

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
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
function requestSignal(reply: FastifyReply, timeoutMs: number, closing: AbortSignal): AbortSignal {
  const gone = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) gone.abort(new Error('client disconnected'));
  });
  return AbortSignal.any([gone.signal, AbortSignal.timeout(timeoutMs), closing]);
}

const textOf = (content: string | { text: string }[]) =>
  typeof content === 'string' ? content : content.map((part) => part.text).join('');

/**
 * The server: OpenAI's `/v1/chat/completions`, `/v1/completions`, `/v1/models`, `/v1/embeddings`;
 * Ollama's `/api/chat`, `/api/generate`, `/api/tags`, `/api/show`, `/api/embed`; `/admin/adapters`;
 * `/health`, `/ready`, `/metrics`. Models are llama.cpp GGUFs; a request names `model` or
 * `model+adapter`.
 *
 * @example
 * ```ts
 * const server = await ModelServer.start(parseConfig({ port: 0, models: [{ name: 'tiny', path: 'tiny-q8_0.gguf' }] }, 'inline'));
 * console.log(server.url); // http://127.0.0.1:40123
 * await server.close();
 * ```
 */
export class ModelServer {
  readonly metrics = new ServerMetrics();
  private readonly engines = new Map<string, Engine>();
  private readonly digests = new Map<string, Promise<string>>();
  private readonly closing = new AbortController();
  private readonly limiter: Limiter;
  private ready = false;

  private constructor(
    private config: ServerConfig,
    private readonly llama: Llama,
    private readonly ownsLlama: boolean,
    readonly app: FastifyInstance,
  ) {
    this.limiter = new Limiter(config.limits.concurrency, config.limits.queue);
  }

  /** Loads every model of `config` and listens. */
  static async start(config: ServerConfig, options: ModelServerOptions = {}): Promise<ModelServer> {
    const llama =
      options.llama ?? (await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never }));
    const app = Fastify({
      bodyLimit: config.limits.bodyBytes,
      logger: options.logger === false ? false : { redact: ['req.headers.authorization'] },
      forceCloseConnections: 'idle',
    });
    const server = new ModelServer(config, llama, !options.llama, app);
    try {
      for (const model of config.models) server.engines.set(model.name, await LlamaEngine.load(llama, model));
      server.routes();
      await app.listen({ host: config.host, port: config.port });
    } catch (error) {
      await server.close();
      throw error;
    }
    server.ready = true;
    return server;
  }

  /** Where it listens, e.g. `http://127.0.0.1:11435`. */
  get url(): string {
    const address = this.app.server.address() as AddressInfo;
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  /** The config in force. */
  get currentConfig(): ServerConfig {
    return this.config;
  }

  /**
   * Applies a new config without a restart: new models load first (if one fails, nothing changes), removed
   * ones unload after their running requests, adapters are loaded, reloaded or unloaded, and keys and
   * limits take effect at once.
   */
  async reload(config: ServerConfig): Promise<void> {
    const same = (a: ModelConfig, b: ModelConfig) =>
      a.path === b.path && a.contextSize === b.contextSize && a.threads === b.threads;
    const fresh = new Map<string, Engine>();
    try {
      for (const model of config.models) {
        const old = this.config.models.find((entry) => entry.name === model.name);
        if (!old || !same(old, model)) fresh.set(model.name, await LlamaEngine.load(this.llama, model));
      }
    } catch (error) {
      for (const engine of fresh.values()) await engine.dispose();
      throw error;
    }
    const retired: Engine[] = [];
    for (const [name, engine] of this.engines)
      if (fresh.has(name) || !config.models.some((model) => model.name === name)) retired.push(engine);
    for (const model of config.models) {
      const engine = fresh.get(model.name) ?? this.engines.get(model.name)!;
      if (!fresh.has(model.name)) {
        const old = this.config.models.find((entry) => entry.name === model.name)!;
        for (const adapter of model.adapters) {
          const before = old.adapters.find((entry) => entry.name === adapter.name);
          if (!before || before.path !== adapter.path || before.scale !== adapter.scale)
            await engine.loadAdapter(adapter.name, adapter.path, adapter.scale);
        }
        for (const adapter of old.adapters)
          if (!model.adapters.some((entry) => entry.name === adapter.name))
            await engine.unloadAdapter(adapter.name);
      }
      fresh.set(model.name, engine);
    }
    this.engines.clear();
    for (const [name, engine] of fresh) this.engines.set(name, engine);
    this.config = config;
    this.limiter.concurrency = config.limits.concurrency;
    this.limiter.queue = config.limits.queue;
    for (const engine of retired) await engine.dispose();
  }

  /** Stops accepting requests, lets running ones finish (streams included), then unloads the models. */
  async close(): Promise<void> {
    this.ready = false;
    await this.app.close();
    this.closing.abort(new Error('server closed'));
    for (const engine of this.engines.values()) await engine.dispose();
    this.engines.clear();
    if (this.ownsLlama) await this.llama.dispose();
  }

  private resolve(
    name: string,
    adapterField: string | undefined,
    caller: Caller,
  ): { engine: Engine; model: string; adapter: string | undefined } {
    const [model, fromName] = name.split('+', 2) as [string, string | undefined];
    const engine = this.engines.get(model);
    if (!engine)
      throw new ApiError(
        404,
        'invalid_request_error',
        'model_not_found',
        `model "${model}" is not served here (serving: ${[...this.engines.keys()].join(', ')})`,
        'model',
      );
    authorize(caller, model);
    return { engine, model, adapter: fromName ?? adapterField };
  }

  private params(
    maxTokens: number | undefined,
    fields: {
      temperature?: number | undefined;
      top_p?: number | undefined;
      seed?: number | undefined;
      stop?: string | string[] | undefined;
    },
    jsonSchema?: object,
  ): GenerationParams {
    const limit = this.config.limits.maxTokens;
    if (maxTokens !== undefined && maxTokens > limit)
      throw new ApiError(
        400,
        'invalid_request_error',
        'max_tokens_too_large',
        `max_tokens ${maxTokens} exceeds this server's limit ${limit}`,
        'max_tokens',
      );
    return {
      maxTokens: maxTokens ?? limit,
      temperature: fields.temperature ?? 1,
      topP: fields.top_p,
      seed: fields.seed,
      stop: typeof fields.stop === 'string' ? [fields.stop] : fields.stop,
      jsonSchema,
    };
  }

  /** Runs one generation under the limiter, counting it in the metrics. */
  private async generation(
    model: string,
    run: () => Promise<GenerationResult>,
    signal: AbortSignal,
  ): Promise<GenerationResult> {
    this.metrics.queueDepth.set(
      this.limiter.queued + (this.limiter.running >= this.limiter.concurrency ? 1 : 0),
    );
    const result = await this.limiter.run(async () => {
      this.metrics.active.inc();
      const started = performance.now();
      try {
        const result = await run();
        const seconds = (performance.now() - started) / 1000;
        this.metrics.tokens.inc({ model, direction: 'prompt' }, result.promptTokens);
        this.metrics.tokens.inc({ model, direction: 'completion' }, result.completionTokens);
        if (result.completionTokens > 0 && seconds > 0)
          this.metrics.speed.observe({ model }, result.completionTokens / seconds);
        return result;
      } finally {
        this.metrics.active.dec();
      }
    }, signal);
    this.metrics.queueDepth.set(this.limiter.queued);
    return result;
  }

  private routes(): void {
    const app = this.app;
    app.addHook('onRequest', async (request, reply) => {
      if (this.config.cors) {
        reply.header('access-control-allow-origin', '*');
        reply.header('access-control-allow-headers', 'authorization, content-type');
        if (request.method === 'OPTIONS') return reply.code(204).send();
      }
      return undefined;
    });
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unknown';
      this.metrics.requests.inc({ route, status: String(reply.statusCode) });
      this.metrics.latency.observe({ route }, reply.elapsedTime / 1000);
    });
    app.setErrorHandler((error, request, reply) => {
      const known = error instanceof ApiError;
      const fastify = error as { statusCode?: number; code?: string };
      const status = known
        ? error.status
        : fastify.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 413
          : (fastify.statusCode ?? 500);
      if (status >= 500 && !known) request.log.error(error);
      const message = status >= 500 && !known ? 'internal server error' : (error as Error).message;
      const type = known
        ? error.type
        : status === 413
          ? 'invalid_request_error'
          : status < 500
            ? 'invalid_request_error'
            : 'server_error';
      const code = known ? error.code : (fastify.code ?? 'error');
      if (reply.raw.headersSent) return;
      void reply
        .code(status)
        .send(
          isOllamaRoute(request.url)
            ? { error: message }
            : { error: { message, type, param: known ? error.param : null, code } },
        );
    });
    const caller = (request: FastifyRequest) => authenticate(this.config, request.headers.authorization);

    app.get('/health', async () => ({ status: 'ok' }));
    app.get('/ready', async (_request, reply) =>
      this.ready
        ? { status: 'ready', models: [...this.engines.keys()] }
        : reply.code(503).send({ status: 'starting' }),
    );
    app.get('/metrics', async (_request, reply) =>
      reply.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics()),
    );

    app.get('/v1/models', async (request) => {
      const who = caller(request);
      const created = Math.floor(Date.now() / 1000);
      const data = [];
      for (const [name, engine] of this.engines) {
        if (who.models && !who.models.includes(name)) continue;
        data.push({ id: name, object: 'model', created, owned_by: 'lm-stack' });
        for (const adapter of engine.adapters())
          data.push({ id: `${name}+${adapter}`, object: 'model', created, owned_by: 'lm-stack' });
      }
      return { object: 'list', data };
    });

    app.post('/v1/chat/completions', async (request, reply) => {
      const who = caller(request);
      const body = parse(chatCompletionRequest, request.body);
      const { engine, adapter } = this.resolve(body.model, body.adapter, who);
      if (body.logprobs)
        throw new ApiError(
          400,
          'invalid_request_error',
          'unsupported_parameter',
          'logprobs is not supported by this server',
          'logprobs',
        );
      const schema =
        body.response_format?.type === 'json_schema'
          ? body.response_format.json_schema.schema
          : body.response_format?.type === 'json_object'
            ? { type: 'object' }
            : undefined;
      const params = this.params(body.max_completion_tokens ?? body.max_tokens, body, schema);
      const messages: ChatMessage[] = body.messages.map((message) => ({
        role: message.role === 'developer' ? 'system' : message.role,
        content: textOf(message.content),
      }));
      const signal = requestSignal(reply, this.config.limits.timeoutMs, this.closing.signal);
      const id = `chatcmpl-${randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      if (!body.stream) {
        const choices = [];
        let prompt = 0;
        let completion = 0;
        for (let index = 0; index < body.n; index++) {
          const result = await this.generation(
            body.model,
            () => engine.chat(messages, params, adapter, signal, () => {}),
            signal,
          );
          choices.push({
            index,
            message: { role: 'assistant', content: result.text },
            logprobs: null,
            finish_reason: result.finishReason,
          });
          prompt += result.promptTokens;
          completion += result.completionTokens;
        }
        return {
          id,
          object: 'chat.completion',
          created,
          model: body.model,
          choices,
          usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
        };
      }
      if (body.n > 1)
        throw new ApiError(
          400,
          'invalid_request_error',
          'unsupported_parameter',
          'n > 1 is not supported with stream',
          'n',
        );
      const chunk = (delta: object, finish: string | null, usage?: object) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: usage ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;
      return this.stream(reply, 'text/event-stream', async (write) => {
        write(chunk({ role: 'assistant', content: '' }, null));
        const result = await this.generation(
          body.model,
          () =>
            engine.chat(messages, params, adapter, signal, (text) => write(chunk({ content: text }, null))),
          signal,
        );
        write(chunk({}, result.finishReason));
        if (body.stream_options?.include_usage)
          write(
            chunk({}, null, {
              prompt_tokens: result.promptTokens,
              completion_tokens: result.completionTokens,
              total_tokens: result.promptTokens + result.completionTokens,
            }),
          );
        write('data: [DONE]\n\n');
      });
    });

    app.post('/v1/completions', async (request, reply) => {
      const who = caller(request);
      const body = parse(completionRequest, request.body);
      const { engine, adapter } = this.resolve(body.model, body.adapter, who);
      const params = this.params(body.max_tokens, body);
      const prompt = typeof body.prompt === 'string' ? body.prompt : body.prompt[0]!;
      const signal = requestSignal(reply, this.config.limits.timeoutMs, this.closing.signal);
      const id = `cmpl-${randomUUID()}`;
      const created = Math.floor(Date.now() / 1000);
      const piece = (text: string, finish: string | null) => ({
        id,
        object: 'text_completion',
        created,
        model: body.model,
        choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
      });
      if (!body.stream) {
        const result = await this.generation(
          body.model,
          () => engine.complete(prompt, params, adapter, signal, () => {}),
          signal,
        );
        return {
          ...piece(result.text, result.finishReason),
          usage: {
            prompt_tokens: result.promptTokens,
            completion_tokens: result.completionTokens,
            total_tokens: result.promptTokens + result.completionTokens,
          },
        };
      }
      return this.stream(reply, 'text/event-stream', async (write) => {
        const result = await this.generation(
          body.model,
          () =>
            engine.complete(prompt, params, adapter, signal, (text) =>
              write(`data: ${JSON.stringify(piece(text, null))}\n\n`),
            ),
          signal,
        );
        write(`data: ${JSON.stringify(piece('', result.finishReason))}\n\n`);
        write('data: [DONE]\n\n');
      });
    });

    app.post('/v1/embeddings', async (request) => {
      const who = caller(request);
      const body = parse(embeddingRequest, request.body);
      const { engine } = this.resolve(body.model, undefined, who);
      const inputs = typeof body.input === 'string' ? [body.input] : body.input;
      const vectors = await engine.embed(inputs);
      return {
        object: 'list',
        model: body.model,
        data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
        usage: { prompt_tokens: 0, total_tokens: 0 },
      };
    });

    // Ollama's API (NDJSON streaming), enough for the `ollama` npm client.
    const ollamaParams = (options: z.output<typeof ollamaChatRequest>['options'], format: unknown) =>
      this.params(
        options?.num_predict !== undefined && options.num_predict > 0 ? options.num_predict : undefined,
        options ?? {},
        format === 'json' ? { type: 'object' } : (format as object | undefined),
      );
    const ollamaDone = (model: string, started: bigint, result: GenerationResult) => ({
      model,
      created_at: new Date().toISOString(),
      done: true,
      done_reason: result.finishReason === 'length' ? 'length' : 'stop',
      total_duration: Number(process.hrtime.bigint() - started),
      prompt_eval_count: result.promptTokens,
      eval_count: result.completionTokens,
    });
    /** Ollama's reply: one JSON object, or NDJSON pieces and a closing object with the counts. */
    const ollamaReply = async (
      reply: FastifyReply,
      body: { model: string; stream: boolean },
      started: bigint,
      signal: AbortSignal,
      piece: (text: string) => object,
      run: (onText: (text: string) => void) => Promise<GenerationResult>,
    ) => {
      if (!body.stream) {
        const result = await this.generation(body.model, () => run(() => {}), signal);
        return { ...piece(result.text), ...ollamaDone(body.model, started, result) };
      }
      return this.stream(reply, 'application/x-ndjson', async (write) => {
        const result = await this.generation(
          body.model,
          () => run((text) => write(`${JSON.stringify(piece(text))}\n`)),
          signal,
        );
        write(`${JSON.stringify({ ...piece(''), ...ollamaDone(body.model, started, result) })}\n`);
      });
    };
    /** An Ollama generation route: parse, resolve, then reply with what `prepare` makes of the body. */
    const ollamaRoute = <
      Body extends z.output<typeof ollamaChatRequest> | z.output<typeof ollamaGenerateRequest>,
    >(
      path: string,
      schema: z.ZodType<Body>,
      prepare: (body: Body) => {
        piece: (text: string) => object;
        run: (
          engine: Engine,
          params: GenerationParams,
          adapter: string | undefined,
          signal: AbortSignal,
          onText: (text: string) => void,
        ) => Promise<GenerationResult>;
      },
    ) =>
      app.post(path, async (request, reply) => {
        const started = process.hrtime.bigint();
        const who = caller(request);
        const body = parse(schema, request.body);
        const { engine, adapter } = this.resolve(body.model, undefined, who);
        const params = ollamaParams(body.options, body.format);
        const signal = requestSignal(reply, this.config.limits.timeoutMs, this.closing.signal);
        const { piece, run } = prepare(body);
        return ollamaReply(reply, body, started, signal, piece, (onText) =>
          run(engine, params, adapter, signal, onText),
        );
      });
    ollamaRoute('/api/chat', ollamaChatRequest, (body) => ({
      piece: (content) => ({
        model: body.model,
        created_at: new Date().toISOString(),
        message: { role: 'assistant', content },
        done: false,
      }),
      run: (engine, params, adapter, signal, onText) =>
        engine.chat(body.messages, params, adapter, signal, onText),
    }));
    ollamaRoute('/api/generate', ollamaGenerateRequest, (body) => ({
      piece: (response) => ({
        model: body.model,
        created_at: new Date().toISOString(),
        response,
        done: false,
      }),
      // raw: the prompt as it is; otherwise a one-turn chat through the model's template, as Ollama does.
      run: (engine, params, adapter, signal, onText) =>
        body.raw
          ? engine.complete(body.prompt, params, adapter, signal, onText)
          : engine.chat(
              [
                ...(body.system ? [{ role: 'system' as const, content: body.system }] : []),
                { role: 'user', content: body.prompt },
              ],
              params,
              adapter,
              signal,
              onText,
            ),
    }));
    app.get('/api/tags', async (request) => {
      const who = caller(request);
      const models = [];
      for (const [name, engine] of this.engines) {
        if (who.models && !who.models.includes(name)) continue;
        const model = this.config.models.find((entry) => entry.name === name)!;
        const entry = {
          model: name,
          modified_at: new Date().toISOString(),
          size: engine.info.sizeBytes,
          digest: await this.digest(model.path),
          details: {
            format: 'gguf',
            family: engine.info.architecture,
            families: [engine.info.architecture],
            parameter_size: '',
            quantization_level: engine.info.fileType,
          },
        };
        models.push({ name, ...entry });
        for (const adapter of engine.adapters())
          models.push({ ...entry, name: `${name}+${adapter}`, model: `${name}+${adapter}` });
      }
      return { models };
    });
    app.post('/api/show', async (request) => {
      const who = caller(request);
      const body = parse(ollamaShowRequest, request.body);
      const name = (body.model ?? body.name)!;
      const { engine, model } = this.resolve(name, undefined, who);
      const config = this.config.models.find((entry) => entry.name === model)!;
      return {
        modelfile: `FROM ${config.path}\n${config.adapters.map((adapter) => `ADAPTER ${adapter.path}\n`).join('')}`,
        parameters: '',
        template: '',
        details: {
          format: 'gguf',
          family: engine.info.architecture,
          families: [engine.info.architecture],
          parameter_size: '',
          quantization_level: engine.info.fileType,
        },
        model_info: {
          'general.architecture': engine.info.architecture,
          [`${engine.info.architecture}.context_length`]: engine.info.contextSize,
        },
        capabilities: ['completion', 'embedding'],
      };
    });
    app.post('/api/embed', async (request) => {
      const who = caller(request);
      const body = parse(embeddingRequest, request.body);
      const { engine } = this.resolve(body.model, undefined, who);
      return {
        model: body.model,
        embeddings: await engine.embed(typeof body.input === 'string' ? [body.input] : body.input),
      };
    });

    // Adapters without a restart.
    const admin = (request: FastifyRequest) => {
      const who = caller(request);
      if (!who.admin)
        throw new ApiError(
          403,
          'permission_error',
          'admin_only',
          `key "${who.name}" may not manage adapters`,
        );
      return who;
    };
    app.get('/admin/adapters', async (request) => {
      admin(request);
      return {
        adapters: [...this.engines].flatMap(([model, engine]) =>
          engine.adapters().map((name) => ({ model, name })),
        ),
      };
    });
    app.post('/admin/adapters', async (request) => {
      const who = admin(request);
      const body = parse(adapterRequest, request.body);
      const { engine } = this.resolve(body.model, undefined, who);
      try {
        await engine.loadAdapter(body.name, body.path, body.scale);
      } catch (error) {
        throw new ApiError(
          400,
          'invalid_request_error',
          'adapter_load_failed',
          `adapter ${body.path} did not load: ${(error as Error).message}`,
          'path',
        );
      }
      return { loaded: `${body.model}+${body.name}` };
    });
    app.delete('/admin/adapters/:model/:name', async (request) => {
      const who = admin(request);
      const { model, name } = request.params as { model: string; name: string };
      const { engine } = this.resolve(model, undefined, who);
      if (!(await engine.unloadAdapter(name)))
        throw new ApiError(
          404,
          'invalid_request_error',
          'adapter_not_found',
          `adapter "${name}" is not loaded for "${model}"`,
        );
      return { unloaded: `${model}+${name}` };
    });
  }

  /** Streams a response the handler writes; an error after the first byte ends the stream with an error event. */
  private async stream(
    reply: FastifyReply,
    type: string,
    body: (write: (text: string) => void) => Promise<void>,
  ): Promise<FastifyReply> {
    let started = false;
    const write = (text: string) => {
      if (!started) {
        reply.raw.writeHead(200, {
          'content-type': type,
          'cache-control': 'no-cache',
          connection: 'keep-alive',
        });
        started = true;
      }
      if (!reply.raw.destroyed) reply.raw.write(text);
    };
    reply.hijack();
    try {
      await body(write);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : undefined;
      if (!started) {
        const status = apiError?.status ?? 500;
        reply.raw.writeHead(status, { 'content-type': 'application/json' });
        const message = apiError?.message ?? 'internal server error';
        reply.raw.end(
          JSON.stringify(
            type === 'application/x-ndjson'
              ? { error: message }
              : {
                  error: {
                    message,
                    type: apiError?.type ?? 'server_error',
                    param: apiError?.param ?? null,
                    code: apiError?.code ?? 'error',
                  },
                },
          ),
        );
        return reply;
      }
      const message = apiError?.message ?? (error as Error).message;
      write(
        type === 'application/x-ndjson'
          ? `${JSON.stringify({ error: message })}\n`
          : `data: ${JSON.stringify({ error: { message, type: 'server_error' } })}\n\n`,
      );
    }
    reply.raw.end();
    return reply;
  }

  /** sha256 of a model file, computed once (Ollama's `digest`). */
  private digest(path: string): Promise<string> {
    let digest = this.digests.get(path);
    if (!digest) {
      digest = new Promise((resolve, reject) => {
        const hash = createHash('sha256');
        createReadStream(path)
          .on('data', (data) => hash.update(data))
          .on('end', () => resolve(`sha256:${hash.digest('hex')}`))
          .on('error', reject);
      });
      this.digests.set(path, digest);
    }
    return digest;
  }
}
