import { statSync } from 'node:fs';
import type { LoraAdapter, LoraModel, loadGgufAdapter } from '@lm-stack/lora';
import { type BpeTokenizer, CHATML, renderChat } from '@lm-stack/tokenizer';
import type { generate, LanguageModel, MiniGpt, selectBackend } from '@lm-stack/transformer';
import type { importGguf } from '@lm-stack/transformer/node';
import type { tensor2d, tidy } from '@tensorflow/tfjs';
import type { ModelConfig } from './config.js';
import type { ChatMessage, Engine, GenerationParams, GenerationResult } from './engine.js';
import { ApiError, adapterNotLoaded, ServerError } from './errors.js';
import { Mutex } from './mutex.js';
import { logprobAt } from './token-logprobs.js';

/** What the engine uses of the runtime: imported when a TypeScript-engine model first loads (it brings TensorFlow.js). */
interface Runtime {
  readonly generate: typeof generate;
  readonly selectBackend: typeof selectBackend;
  readonly importGguf: typeof importGguf;
  readonly loadGgufAdapter: typeof loadGgufAdapter;
  readonly LoraModel: typeof LoraModel;
  readonly tidy: typeof tidy;
  readonly tensor2d: typeof tensor2d;
}

async function runtime(): Promise<Runtime> {
  const [transformer, node, lora, tf] = await Promise.all([
    import('@lm-stack/transformer'),
    import('@lm-stack/transformer/node'),
    import('@lm-stack/lora'),
    import('@tensorflow/tfjs'),
  ]);
  return {
    generate: transformer.generate,
    selectBackend: transformer.selectBackend,
    importGguf: node.importGguf,
    loadGgufAdapter: lora.loadGgufAdapter,
    LoraModel: lora.LoraModel,
    tidy: tf.tidy,
    tensor2d: tf.tensor2d,
  };
}

/** One adapter on the base: the model that runs it and the adapter's weights, disposed on unload. */
interface Variant {
  readonly model: LanguageModel;
  readonly adapter?: LoraAdapter;
}

/**
 * lm-stack's own runtime: a MiniGPT imported from our GGUF (F32, F16, Q8_0, Q4_0 weights), generating with
 * `@lm-stack/transformer` (the fast CPU decoder with its key/value cache), LoRA adapters through
 * `@lm-stack/lora`, ChatML through `@lm-stack/tokenizer`. One generation at a time (TensorFlow.js runs on
 * the main thread); embeddings are the final hidden states, mean-pooled and L2-normalised. JSON-schema
 * output is not constrained here: such requests get a 400 that names the llama.cpp engine.
 *
 * @example
 * ```ts
 * const engine = await TypeScriptEngine.load({ name: 'tiny', path: 'tiny.gguf', engine: 'typescript', contextSize: 512, adapters: [] });
 * ```
 */
export class TypeScriptEngine implements Engine {
  private readonly variants = new Map<string, Variant>();
  private readonly mutex = new Mutex();
  private constructor(
    private readonly runtime: Runtime,
    private readonly base: MiniGpt,
    private readonly tokenizer: BpeTokenizer,
    private readonly config: ModelConfig,
    private readonly sizeBytes: number,
  ) {
    this.variants.set('', { model: base });
  }

  /** Imports the GGUF, selects the fastest tfjs backend present, and loads the config's adapters. */
  static async load(config: ModelConfig): Promise<TypeScriptEngine> {
    const loaded = await runtime();
    await loaded.selectBackend();
    const { model, tokenizer } = await loaded.importGguf(config.path);
    const engine = new TypeScriptEngine(loaded, model, tokenizer, config, statSync(config.path).size);
    try {
      for (const adapter of config.adapters)
        await engine.loadAdapter(adapter.name, adapter.path, adapter.scale);
    } catch (error) {
      await engine.dispose();
      throw error;
    }
    return engine;
  }

  get info(): Engine['info'] {
    return {
      architecture: 'llama',
      sizeBytes: this.sizeBytes,
      contextSize: Math.min(this.config.contextSize, this.base.contextLength),
      fileType: 'lm-stack MiniGPT',
    };
  }

  adapters(): string[] {
    return [...this.variants.keys()].filter((name) => name !== '');
  }

  /** Loads (or replaces) an adapter; a generation already running with the old one finishes first. */
  async loadAdapter(name: string, path: string, scale: number): Promise<void> {
    const adapter = await this.runtime.loadGgufAdapter(path, this.base);
    const model: LoraModel = new this.runtime.LoraModel(this.base, [{ adapter, scale }], null);
    await this.mutex.lock(async () => {
      this.variants.get(name)?.adapter?.dispose();
      this.variants.set(name, { model, adapter });
    });
  }

  async unloadAdapter(name: string): Promise<boolean> {
    const old = name ? this.variants.get(name) : undefined;
    if (!old) return false;
    this.variants.delete(name);
    await this.mutex.lock(async () => old.adapter?.dispose());
    return true;
  }

  private pick(adapter: string | undefined): Variant {
    const variant = this.variants.get(adapter ?? '');
    if (!variant) throw adapterNotLoaded(adapter, this.config.name, this.adapters());
    return variant;
  }

  private async run(
    prompt: readonly number[],
    stopTokens: readonly number[],
    params: GenerationParams,
    adapter: string | undefined,
    signal: AbortSignal,
    onText: (text: string) => void,
  ): Promise<GenerationResult> {
    if (params.jsonSchema)
      throw new ApiError(
        400,
        'invalid_request_error',
        'unsupported_response_format',
        `model "${this.config.name}" runs on the typescript engine, which does not constrain output to a JSON schema; serve it with engine "llama.cpp" for response_format json_schema`,
        'response_format',
      );
    const { model } = this.pick(adapter);
    if (params.logprobs !== undefined && prompt.length + params.maxTokens > this.base.contextLength)
      throw new ApiError(
        400,
        'invalid_request_error',
        'context_length_exceeded',
        `logprobs need the prompt (${prompt.length} tokens) and max_tokens (${params.maxTokens}) within the context of ${this.base.contextLength}`,
        'max_tokens',
      );
    return this.mutex.lock(async () => {
      signal.throwIfAborted();
      let text = '';
      let completionTokens = 0;
      const generated: number[] = [];
      const tokens = this.runtime.generate(model, this.tokenizer, prompt, {
        maxTokens: params.maxTokens,
        temperature: params.temperature,
        ...(params.topP !== undefined ? { topP: params.topP } : {}),
        seed: params.seed ?? 0,
        stopTokens,
        ...(params.stop?.length ? { stopStrings: params.stop } : {}),
      });
      for await (const token of tokens) {
        if (token.id >= 0) {
          completionTokens++;
          generated.push(token.id);
        }
        if (token.text) {
          text += token.text;
          onText(token.text);
        }
        // A client that went away stops the generation between tokens.
        if (signal.aborted) break;
      }
      return {
        text,
        promptTokens: prompt.length,
        completionTokens,
        finishReason: completionTokens >= params.maxTokens ? 'length' : 'stop',
        ...(params.logprobs !== undefined
          ? { logprobs: this.score(model, prompt, generated, params.logprobs) }
          : {}),
      };
    });
  }

  /** Log-probabilities of `generated` after `prompt`: one forward pass over both, rows of the generated positions. */
  private score(model: LanguageModel, prompt: readonly number[], generated: readonly number[], top: number) {
    if (generated.length === 0) return [];
    const tf = this.runtime;
    const ids = [...prompt, ...generated.slice(0, -1)];
    const vocab = model.vocabSize;
    const rows = tf.tidy(
      () =>
        model
          .logits(tf.tensor2d([ids], [1, ids.length], 'int32'))
          .slice([0, prompt.length - 1, 0], [1, generated.length, vocab]), // [1, generated, vocab]
    );
    const values = rows.dataSync() as Float32Array;
    rows.dispose();
    return generated.map((id, position) =>
      logprobAt(values.subarray(position * vocab, (position + 1) * vocab), id, top, (token) =>
        this.tokenizer.tokenBytes(token),
      ),
    );
  }

  chat(
    messages: readonly ChatMessage[],
    params: GenerationParams,
    adapter: string | undefined,
    signal: AbortSignal,
    onText: (text: string) => void,
  ): Promise<GenerationResult> {
    const endOfTurn = this.tokenizer.specialTokens.get(CHATML.endOfTurn);
    if (endOfTurn === undefined)
      throw new ApiError(
        400,
        'invalid_request_error',
        'no_chat_template',
        `model "${this.config.name}" has no ChatML tokens (${CHATML.endOfTurn}); use /v1/completions`,
        'messages',
      );
    const { ids } = renderChat(this.tokenizer, messages, { template: CHATML, addGenerationPrompt: true });
    return this.run(ids, [endOfTurn], params, adapter, signal, onText);
  }

  complete(
    prompt: string,
    params: GenerationParams,
    adapter: string | undefined,
    signal: AbortSignal,
    onText: (text: string) => void,
  ): Promise<GenerationResult> {
    const ids = this.tokenizer.encodeOrdinary(prompt);
    if (ids.length === 0)
      throw new ApiError(400, 'invalid_request_error', 'empty_prompt', 'the prompt has no tokens', 'prompt');
    const eos = this.tokenizer.specialTokens.get('<|endoftext|>');
    return this.run(ids, eos === undefined ? [] : [eos], params, adapter, signal, onText);
  }

  /** Mean of the final RMS-normalised hidden states (what enters the output matmul), L2-normalised. */
  async embed(texts: readonly string[]): Promise<number[][]> {
    const tf = this.runtime;
    return this.mutex.lock(async () =>
      texts.map((text) => {
        const ids = this.tokenizer.encodeOrdinary(text).slice(-this.base.contextLength);
        if (ids.length === 0)
          throw new ApiError(400, 'invalid_request_error', 'empty_input', 'an input has no tokens', 'input');
        let hidden: { values: Float32Array; rows: number; width: number } | undefined;
        tf.tidy(() => {
          this.base.logits(tf.tensor2d([ids], [1, ids.length], 'int32'), {
            activations: (rows, name) => {
              // [tokens, dModel]: the final RMS-normalised hidden states
              if (name === 'output')
                hidden = {
                  values: rows.dataSync() as Float32Array,
                  rows: rows.shape[0],
                  width: rows.shape[1],
                };
              return rows;
            },
          });
        });
        if (!hidden) throw new ServerError('the model never reached its output matmul');
        const { values, rows, width } = hidden;
        const mean = new Array<number>(width).fill(0);
        for (let row = 0; row < rows; row++)
          for (let k = 0; k < width; k++) mean[k]! += values[row * width + k]! / rows;
        const norm = Math.hypot(...mean) || 1;
        return mean.map((value) => value / norm);
      }),
    );
  }

  tokenize(text: string): number[] {
    return this.tokenizer.encodeOrdinary(text);
  }

  async dispose(): Promise<void> {
    await this.mutex.lock(async () => {
      for (const variant of this.variants.values()) variant.adapter?.dispose();
      this.variants.clear();
      this.base.dispose();
    });
  }
}
