import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { getLlama, type Llama } from 'node-llama-cpp';
import { adminRoutes } from './admin-routes.js';
import { authenticate, authorize, type Caller } from './auth.js';
import type { ModelConfig, ServerConfig } from './config.js';
import type { Engine, GenerationParams, GenerationResult } from './engine.js';
import { ApiError, ConfigError } from './errors.js';
import { Limiter } from './limiter.js';
import { loadEngine } from './load-engine.js';
import { mountMcp } from './mcp-route.js';
import type { McpToolbox } from './mcp-tools.js';
import { ServerMetrics } from './metrics.js';
import { ollamaRoutes } from './ollama-routes.js';
import { openAiRoutes } from './openai-routes.js';
import { isOllamaRoute, servedModelNames } from './route-helpers.js';
import type { RouteHost } from './route-host.js';

/** Options of {@link ModelServer.start}. */
export interface ModelServerOptions {
  /** A llama.cpp instance to share; one is made (CPU, prebuilt binaries) otherwise. */
  readonly llama?: Llama;
  /** Structured JSON logs (Fastify's pino); default on. The Authorization header is never logged. */
  readonly logger?: boolean;
  /** Where the JSON log lines go instead of stdout (one `write` per line). */
  readonly logStream?: { write(line: string): void };
}

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
export class ModelServer implements RouteHost {
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
    const rag = config.mcp.ragDatabase;
    if (rag && !existsSync(rag)) throw new ConfigError(`mcp.ragDatabase ${rag} does not exist`);
    const llama =
      options.llama ?? (await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never }));
    const app = Fastify({
      bodyLimit: config.limits.bodyBytes,
      logger:
        options.logger === false
          ? false
          : {
              redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
              ...(options.logStream ? { stream: options.logStream } : {}),
            },
      forceCloseConnections: 'idle',
    });
    const server = new ModelServer(config, llama, !options.llama, app);
    try {
      for (const model of config.models) server.engines.set(model.name, await loadEngine(llama, model));
      server.routes();
      await app.listen({ host: config.host, port: config.port });
    } catch (error) {
      await server.close();
      throw error;
    }
    server.ready = true;
    return server;
  }

  /** @internal */
  caller(request: FastifyRequest): Caller {
    return authenticate(this.config, request.headers.authorization);
  }

  /** @internal */
  get closingSignal(): AbortSignal {
    return this.closing.signal;
  }

  /** @internal */
  get engineMap(): ReadonlyMap<string, Engine> {
    return this.engines;
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
      a.path === b.path &&
      a.engine === b.engine &&
      a.contextSize === b.contextSize &&
      a.threads === b.threads;
    const fresh = new Map<string, Engine>();
    try {
      for (const model of config.models) {
        const old = this.config.models.find((entry) => entry.name === model.name);
        if (!old || !same(old, model)) fresh.set(model.name, await loadEngine(this.llama, model));
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

  /** The MCP tools' view of the server for one caller: only the models its key may use. */
  private toolbox(who: Caller): McpToolbox {
    const signal = AbortSignal.any([AbortSignal.timeout(this.config.limits.timeoutMs), this.closing.signal]);
    return {
      models: () => servedModelNames(this.engines, who),
      chat: (name, messages, params) => {
        const { engine, model, adapter } = this.resolve(name, undefined, who);
        const checked = this.params(params.maxTokens, { temperature: params.temperature });
        return this.generation(
          model,
          () => engine.chat(messages, checked, adapter, signal, () => {}),
          signal,
        );
      },
      tokenize: (name, text) => this.resolve(name, undefined, who).engine.tokenize(text),
      ...(this.config.mcp.ragDatabase ? { ragDatabase: this.config.mcp.ragDatabase } : {}),
    };
  }

  /** @internal */
  resolve(
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

  /** @internal */
  params(
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
  /** @internal */
  async generation(
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
    const caller = (request: FastifyRequest) => this.caller(request);

    if (this.config.mcp.enabled) mountMcp(app, (request) => this.toolbox(caller(request)));

    app.get('/health', async () => ({ status: 'ok' }));
    app.get('/ready', async (_request, reply) =>
      this.ready
        ? { status: 'ready', models: [...this.engines.keys()] }
        : reply.code(503).send({ status: 'starting' }),
    );
    app.get('/metrics', async (_request, reply) =>
      reply.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics()),
    );

    openAiRoutes(app, this);
    ollamaRoutes(app, this);
    adminRoutes(app, this);
  }

  /**
   * Streams a response the handler writes; an error after the first byte ends the stream with an error event.
   * `write` queues one whole event; `delta` queues a piece of generated text, and the pieces queued within
   * one flush interval go out as one event (`render` of their concatenation), as one chunk of several
   * tokens — what OpenAI's own streams do — instead of one event per token.
   */
  /** @internal */
  async stream(
    reply: FastifyReply,
    type: string,
    body: (
      write: (event: string) => void,
      delta: (text: string, render: (text: string) => string) => void,
    ) => Promise<void>,
  ): Promise<FastifyReply> {
    let started = false;
    // Events go out in one socket write per `streamFlushMs` (default 10 ms), after the generation has asked
    // the model for its next token: writes overlap the model's work, and a fast model's tokens share a
    // syscall and an event (fewer JSON encodings here, fewer parses in the client).
    const interval = this.config.limits.streamFlushMs;
    let pending: string[] = [];
    let text = '';
    let render: ((text: string) => string) | undefined;
    let scheduled = false;
    const settleText = () => {
      if (render && text) pending.push(render(text));
      text = '';
      render = undefined;
    };
    const flush = () => {
      scheduled = false;
      settleText();
      if (pending.length && !reply.raw.destroyed) reply.raw.write(pending.join(''));
      pending = [];
    };
    const schedule = () => {
      if (scheduled) return;
      scheduled = true;
      if (interval > 0) setTimeout(flush, interval);
      else setImmediate(flush);
    };
    const open = () => {
      if (started) return;
      reply.raw.writeHead(200, {
        'content-type': type,
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      started = true;
    };
    const write = (event: string) => {
      open();
      settleText(); // text queued before this event goes out before it
      pending.push(event);
      schedule();
    };
    const delta = (piece: string, renderPiece: (text: string) => string) => {
      if (interval === 0) return write(renderPiece(piece)); // no interval: every piece is its own event
      open();
      if (render && render !== renderPiece) settleText();
      render = renderPiece;
      text += piece;
      schedule();
    };
    reply.hijack();
    try {
      await body(write, delta);
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
    flush();
    reply.raw.end();
    return reply;
  }

  /** sha256 of a model file, computed once (Ollama's `digest`). */
  /** @internal */
  digest(path: string): Promise<string> {
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
