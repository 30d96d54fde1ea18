import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from './auth.js';
import type { ServerConfig } from './config.js';
import type { Engine, GenerationParams, GenerationResult } from './engine.js';

/** What the route modules need of the server: its config, engines, limits and streaming. */
export interface RouteHost {
  readonly currentConfig: ServerConfig;
  /** Aborts when the server closes. */
  readonly closingSignal: AbortSignal;
  readonly engineMap: ReadonlyMap<string, Engine>;
  /** The caller of a request from its bearer key (401 when keys are configured and it has none). */
  caller(request: FastifyRequest): Caller;
  /** `base` or `base+adapter` (or the `adapter` field) → the engine, checked against the caller's models. */
  resolve(
    name: string,
    adapterField: string | undefined,
    caller: Caller,
  ): { engine: Engine; model: string; adapter: string | undefined };
  /** Sampling parameters with the server's token limit applied. */
  params(
    maxTokens: number | undefined,
    fields: {
      temperature?: number | undefined;
      top_p?: number | undefined;
      seed?: number | undefined;
      stop?: string | string[] | undefined;
    },
    jsonSchema?: object,
  ): GenerationParams;
  /** Runs a generation through the queue (429 when full) and records its metrics. */
  generation(
    model: string,
    run: () => Promise<GenerationResult>,
    signal: AbortSignal,
  ): Promise<GenerationResult>;
  /**
   * Streams a response the handler writes: `write` queues a whole event, `delta` a piece of generated text
   * (the pieces of one flush interval go out as one event, `render` of their concatenation).
   */
  stream(
    reply: FastifyReply,
    type: string,
    body: (
      write: (event: string) => void,
      delta: (text: string, render: (text: string) => string) => void,
    ) => Promise<void>,
  ): Promise<FastifyReply>;
  /** sha256 of a model file (Ollama's `digest`). */
  digest(path: string): Promise<string>;
}
