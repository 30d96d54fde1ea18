import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { chatCompletionRequest, completionRequest, embeddingRequest } from './api-schemas.js';
import type { ChatMessage } from './engine.js';
import { ApiError } from './errors.js';
import { parse, requestSignal, servedModelNames, textOf } from './route-helpers.js';
import type { RouteHost } from './route-host.js';
import { chatLogprob, completionLogprobs } from './token-logprobs.js';

/** OpenAI's API: `/v1/models`, `/v1/chat/completions` (SSE with `data: [DONE]`), `/v1/completions`, `/v1/embeddings`. */
export function openAiRoutes(app: FastifyInstance, server: RouteHost): void {
  const caller = (request: FastifyRequest) => server.caller(request);
  app.get('/v1/models', async (request) => {
    const who = caller(request);
    const created = Math.floor(Date.now() / 1000);
    const data = servedModelNames(server.engineMap, who).map((id) => ({
      id,
      object: 'model',
      created,
      owned_by: 'lm-stack',
    }));
    return { object: 'list', data };
  });

  app.post('/v1/chat/completions', async (request, reply) => {
    const who = caller(request);
    const body = parse(chatCompletionRequest, request.body);
    const { engine, adapter } = server.resolve(body.model, body.adapter, who);
    if (body.top_logprobs !== undefined && !body.logprobs)
      throw new ApiError(
        400,
        'invalid_request_error',
        'invalid_value',
        'top_logprobs needs logprobs: true',
        'top_logprobs',
      );
    const schema =
      body.response_format?.type === 'json_schema'
        ? body.response_format.json_schema.schema
        : body.response_format?.type === 'json_object'
          ? { type: 'object' }
          : undefined;
    const params = {
      ...server.params(body.max_completion_tokens ?? body.max_tokens, body, schema),
      ...(body.logprobs ? { logprobs: body.top_logprobs ?? 0 } : {}),
    };
    const messages: ChatMessage[] = body.messages.map((message) => ({
      role: message.role === 'developer' ? 'system' : message.role,
      content: textOf(message.content),
    }));
    const signal = requestSignal(reply, server.currentConfig.limits.timeoutMs, server.closingSignal);
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) {
      const choices = [];
      let prompt = 0;
      let completion = 0;
      for (let index = 0; index < body.n; index++) {
        const result = await server.generation(
          body.model,
          () => engine.chat(messages, params, adapter, signal, () => {}),
          signal,
        );
        choices.push({
          index,
          message: { role: 'assistant', content: result.text },
          logprobs: result.logprobs ? { content: result.logprobs.map(chatLogprob), refusal: null } : null,
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
    const chunk = (delta: object, finish: string | null, usage?: object, logprobs: object | null = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: usage ? [] : [{ index: 0, delta, logprobs, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;
    const contentChunk = (text: string) => chunk({ content: text }, null);
    return server.stream(reply, 'text/event-stream', async (write, delta) => {
      write(chunk({ role: 'assistant', content: '' }, null));
      const result = await server.generation(
        body.model,
        () => engine.chat(messages, params, adapter, signal, (text) => delta(text, contentChunk)),
        signal,
      );
      // Logprobs are computed once the answer is complete: they follow the text in one chunk of their own,
      // which clients that accumulate `choices[0].logprobs.content` (the openai SDK's stream helpers) merge.
      if (result.logprobs)
        write(chunk({}, null, undefined, { content: result.logprobs.map(chatLogprob), refusal: null }));
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
    const { engine, adapter } = server.resolve(body.model, body.adapter, who);
    const params = {
      ...server.params(body.max_tokens, body),
      ...(typeof body.logprobs === 'number' ? { logprobs: body.logprobs } : {}),
    };
    const prompt = typeof body.prompt === 'string' ? body.prompt : body.prompt[0]!;
    const signal = requestSignal(reply, server.currentConfig.limits.timeoutMs, server.closingSignal);
    const id = `cmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const piece = (text: string, finish: string | null, logprobs: object | null = null) => ({
      id,
      object: 'text_completion',
      created,
      model: body.model,
      choices: [{ index: 0, text, logprobs, finish_reason: finish }],
    });
    if (!body.stream) {
      const result = await server.generation(
        body.model,
        () => engine.complete(prompt, params, adapter, signal, () => {}),
        signal,
      );
      const answer = piece(result.text, result.finishReason);
      return {
        ...answer,
        choices: [
          { ...answer.choices[0]!, logprobs: result.logprobs ? completionLogprobs(result.logprobs) : null },
        ],
        usage: {
          prompt_tokens: result.promptTokens,
          completion_tokens: result.completionTokens,
          total_tokens: result.promptTokens + result.completionTokens,
        },
      };
    }
    const textEvent = (text: string) => `data: ${JSON.stringify(piece(text, null))}\n\n`;
    return server.stream(reply, 'text/event-stream', async (write, delta) => {
      const result = await server.generation(
        body.model,
        () => engine.complete(prompt, params, adapter, signal, (text) => delta(text, textEvent)),
        signal,
      );
      if (result.logprobs)
        write(`data: ${JSON.stringify(piece('', null, completionLogprobs(result.logprobs)))}\n\n`);
      write(`data: ${JSON.stringify(piece('', result.finishReason))}\n\n`);
      write('data: [DONE]\n\n');
    });
  });

  app.post('/v1/embeddings', async (request) => {
    const who = caller(request);
    const body = parse(embeddingRequest, request.body);
    const { engine } = server.resolve(body.model, undefined, who);
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    const vectors = await engine.embed(inputs);
    return {
      object: 'list',
      model: body.model,
      data: vectors.map((vector, index) => ({
        object: 'embedding',
        index,
        embedding:
          body.encoding_format === 'base64'
            ? Buffer.from(Float32Array.from(vector).buffer).toString('base64') // little-endian on x86-64 and arm64
            : vector,
      })),
      usage: { prompt_tokens: 0, total_tokens: 0 },
    };
  });
}
