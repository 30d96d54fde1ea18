import type { TokenLogprob } from './token-logprobs.js';

/** A chat message as both APIs carry it. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** Sampling and stopping, as the server validated them. */
export interface GenerationParams {
  readonly maxTokens: number;
  /** 0 is greedy. */
  readonly temperature: number;
  readonly topP?: number | undefined;
  readonly seed?: number | undefined;
  readonly stop?: readonly string[] | undefined;
  /** Constrain the output to JSON matching this schema (llama.cpp grammar). */
  readonly jsonSchema?: object | undefined;
  /** Report each generated token's log-probability with this many alternatives (0–20); absent: none. */
  readonly logprobs?: number | undefined;
}

/** What one generation produced. */
export interface GenerationResult {
  readonly text: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly finishReason: 'stop' | 'length';
  /** One per generated token, when `logprobs` was asked. */
  readonly logprobs?: readonly TokenLogprob[];
}

/** Runs a model: the server's one view of llama.cpp (and of any other runtime). */
export interface Engine {
  /** The model's facts for `/api/show` and `/v1/models`. */
  readonly info: {
    readonly architecture: string;
    readonly sizeBytes: number;
    readonly contextSize: number;
    readonly fileType: string;
  };
  /** Names of the adapters loaded now. */
  adapters(): string[];
  loadAdapter(name: string, path: string, scale: number): Promise<void>;
  unloadAdapter(name: string): Promise<boolean>;
  /** A reply to the conversation, streamed through `onText`; `adapter` picks a loaded adapter. */
  chat(
    messages: readonly ChatMessage[],
    params: GenerationParams,
    adapter: string | undefined,
    signal: AbortSignal,
    onText: (text: string) => void,
  ): Promise<GenerationResult>;
  /** A continuation of raw text (no chat template). */
  complete(
    prompt: string,
    params: GenerationParams,
    adapter: string | undefined,
    signal: AbortSignal,
    onText: (text: string) => void,
  ): Promise<GenerationResult>;
  /** One vector per text. */
  embed(texts: readonly string[]): Promise<number[][]>;
  /** The model's own tokens of `text` (no special tokens parsed, none added). */
  tokenize(text: string): number[];
  dispose(): Promise<void>;
}
