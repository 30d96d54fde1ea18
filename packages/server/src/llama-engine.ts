import {
  type ChatHistoryItem,
  type ChatWrapper,
  type ControlledEvaluateInputItem,
  type Llama,
  LlamaChatSession,
  LlamaCompletion,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaModel,
  resolveChatWrapper,
  type Token,
} from 'node-llama-cpp';
import type { ModelConfig } from './config.js';
import { defaultThreads } from './default-threads.js';
import type { ChatMessage, Engine, GenerationParams, GenerationResult } from './engine.js';
import { ApiError, adapterNotLoaded } from './errors.js';
import { Mutex } from './mutex.js';
import { logprobAt } from './token-logprobs.js';

/** A context of the model, with or without one adapter: llama.cpp binds adapters to a context. */
interface Variant {
  readonly context: LlamaContext;
  readonly sequence: LlamaContextSequence;
  readonly mutex: Mutex;
}

/**
 * llama.cpp through node-llama-cpp: one context per variant (the base, and the base with each adapter), one
 * generation at a time per variant. Adapters load and unload while the server runs.
 *
 * @example
 * ```ts
 * const engine = await LlamaEngine.load(await getLlama({ gpu: false }), { name: 'tiny', path: 'tiny.gguf', contextSize: 512, adapters: [], engine: 'llama.cpp' });
 * ```
 */
export class LlamaEngine implements Engine {
  private readonly variants = new Map<string, Variant>();
  /** The config it was loaded with (a reload compares against it). */
  get loadedConfig(): ModelConfig {
    return this.config;
  }
  private embedding: Promise<LlamaEmbeddingContext> | undefined;
  /** Resolved once: node-llama-cpp would otherwise re-derive it from the file's Jinja template per session. */
  private readonly chatWrapper: ChatWrapper;
  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly config: ModelConfig,
  ) {
    this.chatWrapper = resolveChatWrapper(model);
  }

  /** Loads the model, its base context and the adapters of its config. */
  static async load(llama: Llama, config: ModelConfig): Promise<LlamaEngine> {
    const model = await llama.loadModel({ modelPath: config.path });
    const engine = new LlamaEngine(llama, model, config);
    try {
      engine.variants.set('', await engine.variant(undefined));
      for (const adapter of config.adapters)
        await engine.loadAdapter(adapter.name, adapter.path, adapter.scale);
    } catch (error) {
      await engine.dispose();
      throw error;
    }
    return engine;
  }

  get info(): Engine['info'] {
    const architecture = String(this.model.fileInfo.metadata?.general?.architecture ?? 'unknown');
    return {
      architecture,
      sizeBytes: this.model.size,
      contextSize: this.config.contextSize,
      fileType: String(this.model.fileInfo.metadata?.general?.file_type ?? ''),
    };
  }

  private async variant(adapter: { path: string; scale: number } | undefined): Promise<Variant> {
    const context = await this.model.createContext({
      contextSize: this.config.contextSize,
      sequences: 1,
      threads: this.threads,
      ...(adapter ? { lora: { adapters: [{ filePath: adapter.path, scale: adapter.scale }] } } : {}),
    });
    return { context, sequence: context.getSequence(), mutex: new Mutex() };
  }

  /** llama.cpp threads: the config's, or every core but one. */
  private get threads(): number {
    return this.config.threads ?? defaultThreads();
  }

  adapters(): string[] {
    return [...this.variants.keys()].filter((name) => name !== '');
  }

  /** Loads (or reloads with a new file or scale) an adapter; requests already running keep theirs. */
  async loadAdapter(name: string, path: string, scale: number): Promise<void> {
    const fresh = await this.variant({ path, scale });
    const old = this.variants.get(name);
    this.variants.set(name, fresh);
    if (old) void old.mutex.lock(() => old.context.dispose());
  }

  /** Unloads an adapter once the generations using it have finished. */
  async unloadAdapter(name: string): Promise<boolean> {
    const old = name ? this.variants.get(name) : undefined;
    if (!old) return false;
    this.variants.delete(name);
    await old.mutex.lock(() => old.context.dispose());
    return true;
  }

  private pick(adapter: string | undefined): Variant {
    const variant = this.variants.get(adapter ?? '');
    if (!variant) throw adapterNotLoaded(adapter, this.config.name, this.adapters());
    return variant;
  }

  private async generate(
    adapter: string | undefined,
    params: GenerationParams,
    run: (
      sequence: LlamaContextSequence,
      options: Record<string, unknown>,
    ) => Promise<{ text: string; stopReason: string }>,
    onText: (text: string) => void,
    signal: AbortSignal,
  ): Promise<GenerationResult> {
    const variant = this.pick(adapter);
    const grammar = params.jsonSchema
      ? await this.llama.createGrammarForJsonSchema(params.jsonSchema as never)
      : undefined;
    return variant.mutex.lock(async () => {
      signal.throwIfAborted();
      const before = variant.sequence.tokenMeter.getState();
      // The generated tokens are kept only for logprobs: a plain generation pays nothing per token.
      const generated: Token[] = [];
      const { text, stopReason } = await run(variant.sequence, {
        ...(params.logprobs !== undefined ? { onToken: (tokens: Token[]) => generated.push(...tokens) } : {}),
        maxTokens: params.maxTokens,
        temperature: params.temperature,
        ...(params.topP !== undefined ? { topP: params.topP } : {}),
        ...(params.seed !== undefined ? { seed: params.seed } : {}),
        ...(params.stop?.length ? { customStopTriggers: [...params.stop] } : {}),
        ...(grammar ? { grammar } : {}),
        signal,
        stopOnAbortSignal: true,
        onTextChunk: onText,
      });
      const after = variant.sequence.tokenMeter.getState();
      const result: GenerationResult = {
        text,
        promptTokens: after.usedInputTokens - before.usedInputTokens,
        completionTokens: after.usedOutputTokens - before.usedOutputTokens,
        finishReason: stopReason === 'maxTokens' ? 'length' : 'stop',
      };
      if (params.logprobs === undefined) return result;
      return { ...result, logprobs: await this.score(variant.sequence, generated, params.logprobs) };
    });
  }

  /**
   * Log-probabilities of the generated tokens: the prompt and the tokens are evaluated again with logits at
   * every generated position (llama.cpp's raw logits, before temperature and top-p).
   */
  private async score(sequence: LlamaContextSequence, generated: readonly Token[], top: number) {
    if (generated.length === 0) return [];
    // After a generation the sequence holds the prompt and the generated tokens but the last (never fed back).
    const context = sequence.contextTokens;
    const fed = generated.slice(0, -1);
    const promptLength = context.length - fed.length;
    if (promptLength < 1 || fed.some((token, k) => context[promptLength + k] !== token))
      throw new ApiError(
        500,
        'server_error',
        'logprobs_unavailable',
        'the generated tokens are not in the context',
      );
    const prompt = context.slice(0, promptLength);
    await sequence.clearHistory();
    const input: ControlledEvaluateInputItem[] = [...prompt, ...fed].map((token, position) =>
      position >= promptLength - 1 ? [token, { generateNext: { logits: true } }] : token,
    );
    const output = await sequence.controlledEvaluate(input);
    const bytesOf = (id: number) => new TextEncoder().encode(this.model.detokenize([id as Token], true));
    return generated.map((token, k) => {
      const logits = output[promptLength - 1 + k]?.next?.logits;
      if (!logits)
        throw new ApiError(500, 'server_error', 'logprobs_unavailable', 'llama.cpp returned no logits');
      let size = 0;
      for (const id of logits.keys()) size = Math.max(size, id + 1);
      const dense = new Float32Array(size).fill(Number.NEGATIVE_INFINITY);
      for (const [id, logit] of logits) dense[id] = logit;
      return logprobAt(dense, token, top, bytesOf);
    });
  }

  chat(
    messages: readonly ChatMessage[],
    params: GenerationParams,
    adapter: string | undefined,
    signal: AbortSignal,
    onText: (text: string) => void,
  ): Promise<GenerationResult> {
    const last = messages[messages.length - 1];
    if (last?.role !== 'user')
      throw new ApiError(
        400,
        'invalid_request_error',
        'invalid_messages',
        'the last message must be from the user',
        'messages',
      );
    const history: ChatHistoryItem[] = messages
      .slice(0, -1)
      .map(
        (message): ChatHistoryItem =>
          message.role === 'assistant'
            ? { type: 'model', response: [message.content] }
            : message.role === 'system'
              ? { type: 'system', text: message.content }
              : { type: 'user', text: message.content },
      );
    return this.generate(
      adapter,
      params,
      async (sequence, options) => {
        await sequence.clearHistory();
        const session = new LlamaChatSession({
          contextSequence: sequence,
          autoDisposeSequence: false,
          chatWrapper: this.chatWrapper,
        });
        try {
          session.setChatHistory(history);
          const result = await session.promptWithMeta(last.content, options);
          return { text: result.responseText, stopReason: result.stopReason };
        } finally {
          session.dispose({ disposeSequence: false });
        }
      },
      onText,
      signal,
    );
  }

  complete(
    prompt: string,
    params: GenerationParams,
    adapter: string | undefined,
    signal: AbortSignal,
    onText: (text: string) => void,
  ): Promise<GenerationResult> {
    return this.generate(
      adapter,
      params,
      async (sequence, options) => {
        await sequence.clearHistory();
        const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
        try {
          const result = await completion.generateCompletionWithMeta(prompt, options);
          return { text: result.response, stopReason: result.metadata.stopReason };
        } finally {
          completion.dispose({ disposeSequence: false });
        }
      },
      onText,
      signal,
    );
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    this.embedding ??= this.model.createEmbeddingContext({
      contextSize: this.config.contextSize,
      threads: this.threads,
    });
    const context = await this.embedding;
    const out: number[][] = [];
    for (const text of texts) out.push([...(await context.getEmbeddingFor(text)).vector]);
    return out;
  }

  tokenize(text: string): number[] {
    return this.model.tokenize(text, false).map(Number);
  }

  async dispose(): Promise<void> {
    for (const variant of this.variants.values()) await variant.mutex.lock(() => variant.context.dispose());
    this.variants.clear();
    if (this.embedding) await (await this.embedding).dispose();
    await this.model.dispose();
  }
}
