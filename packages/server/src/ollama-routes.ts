import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  embeddingRequest,
  ollamaChatRequest,
  ollamaGenerateRequest,
  ollamaShowRequest,
} from './api-schemas.js';
import type { Engine, GenerationParams, GenerationResult } from './engine.js';
import { parse, requestSignal } from './route-helpers.js';
import type { RouteHost } from './route-host.js';

/** Ollama's API subset the `ollama` npm client needs: `/api/chat`, `/api/generate` (NDJSON), `/api/tags`, `/api/show`, `/api/embed`. */
export function ollamaRoutes(app: FastifyInstance, server: RouteHost): void {
  const caller = (request: FastifyRequest) => server.caller(request);
  // Ollama's API (NDJSON streaming), enough for the `ollama` npm client.
  const ollamaParams = (options: z.output<typeof ollamaChatRequest>['options'], format: unknown) =>
    server.params(
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
      const result = await server.generation(body.model, () => run(() => {}), signal);
      return { ...piece(result.text), ...ollamaDone(body.model, started, result) };
    }
    const line = (text: string) => `${JSON.stringify(piece(text))}\n`;
    return server.stream(reply, 'application/x-ndjson', async (write, delta) => {
      const result = await server.generation(body.model, () => run((text) => delta(text, line)), signal);
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
      const { engine, adapter } = server.resolve(body.model, undefined, who);
      const params = ollamaParams(body.options, body.format);
      const signal = requestSignal(reply, server.currentConfig.limits.timeoutMs, server.closingSignal);
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
    for (const [name, engine] of server.engineMap) {
      if (who.models && !who.models.includes(name)) continue;
      const model = server.currentConfig.models.find((entry) => entry.name === name)!;
      const entry = {
        model: name,
        modified_at: new Date().toISOString(),
        size: engine.info.sizeBytes,
        digest: await server.digest(model.path),
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
    const { engine, model } = server.resolve(name, undefined, who);
    const config = server.currentConfig.models.find((entry) => entry.name === model)!;
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
    const { engine } = server.resolve(body.model, undefined, who);
    return {
      model: body.model,
      embeddings: await engine.embed(typeof body.input === 'string' ? [body.input] : body.input),
    };
  });
}
