import type * as tf from '@tensorflow/tfjs';

/** Options of a forward pass. */
export interface ForwardOptions {
  /** Training mode: dropout on. Default false. */
  readonly training?: boolean;
  /** Seed of this pass's dropout masks (the trainer derives it from its seeded generator). */
  readonly seed?: number;
  /**
   * Applied to the rows [tokens, in] entering every weight matmul: lets a reference pass round activations
   * as a quantized runtime does (ggml's CPU rounds them to Q8_0 before a quantized matmul). MiniGPT only.
   */
  readonly activations?: (rows: tf.Tensor2D, name: string) => tf.Tensor2D;
  /**
   * Replaces RMSNorm (x [.., dModel], weight [dModel], eps → x / sqrt(mean(x²) + eps) · weight), so a
   * reference pass can reproduce another runtime's arithmetic: ggml sums the squares in double, and a one-ulp
   * change in a row's largest value can move the F16 scale of its Q8_0 activation block. MiniGPT only.
   */
  readonly rmsNorm?: (x: tf.Tensor, weight: tf.Tensor1D, eps: number) => tf.Tensor;
  /**
   * A low-rank update added to a named weight matmul's output: called with the weight's name (`blk.0.attn_q`,
   * …, `output`) and the rows [tokens, in] entering it, returns [tokens, out] to add, or undefined for none.
   * This is how LoRA adapters run without touching the base weights. MiniGPT only.
   */
  readonly adapter?: (name: string, rows: tf.Tensor2D) => tf.Tensor2D | undefined;
  /**
   * The weight matrices get no gradient (a frozen base under LoRA): their matmuls pass gradients to their
   * inputs only, skipping the weight-gradient matmuls. MiniGPT only.
   */
  readonly frozenWeights?: boolean;
}

/**
 * Feeds tokens one call at a time and returns the logits after the last one, keeping what it has seen
 * (MiniGPT: a key/value cache; LSTM: its hidden and cell states), so each new token costs one position.
 */
export interface IncrementalDecoder {
  /** Tokens fed so far. */
  readonly length: number;
  /** Feeds `ids`; returns the logits [vocab] following the last of them. */
  next(ids: readonly number[]): Float32Array;
  /** Frees the cached tensors. */
  dispose(): void;
}

/**
 * What the trainer needs of a model: its trainable parameters by name, and logits for a batch of token
 * ids. {@link MiniGpt} and {@link LstmLm} both implement it, so they share one training loop.
 */
export interface LanguageModel {
  /** `lora`: a MiniGPT with trainable adapters (`@lm-stack/lora`), whose parameters are the adapters'. */
  readonly kind: 'minigpt' | 'lstm' | 'lora';
  readonly vocabSize: number;
  readonly contextLength: number;
  /** Trainable parameters by name, in a fixed order (checkpoints and the optimizer rely on it). */
  readonly parameters: ReadonlyMap<string, tf.Variable>;
  /** Logits [batch, seq, vocab] for ids [batch, seq] (seq ≤ contextLength). */
  logits(ids: tf.Tensor2D, options?: ForwardOptions): tf.Tensor3D;
  /** An incremental decoder for generation; `options` apply to every step (e.g. an adapter). */
  decoder(options?: ForwardOptions): IncrementalDecoder;
  /** Whether weight decay applies to a parameter (not to norms, biases or embeddings by default). */
  decays(name: string): boolean;
  /** The validated config, as saved in checkpoints. */
  toConfig(): Record<string, unknown>;
  /** Frees the parameters and any tables the model holds. */
  dispose(): void;
}

/** Number of scalars in the model's parameters. */
export function parameterCount(model: LanguageModel): number {
  let total = 0;
  for (const variable of model.parameters.values()) total += variable.size;
  return total;
}
