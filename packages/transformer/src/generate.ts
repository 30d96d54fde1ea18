import {
  type BpeTokenizer,
  CHATML,
  type ChatMessage,
  type ChatTemplate,
  renderChat,
  StreamingDecoder,
} from '@lm-stack/tokenizer';
import * as tf from '@tensorflow/tfjs';
import type { LanguageModel } from './language-model.js';
import { SeededRandom } from './random.js';
import { type SamplingOptions, sampleToken } from './sampling.js';

/** Options of {@link generate}. */
export interface GenerateOptions extends SamplingOptions {
  /** New tokens at most. Default 128. */
  readonly maxTokens?: number;
  /** Stop after generating any of these ids (the stop token is not yielded). */
  readonly stopTokens?: readonly number[];
  /** Stop when the generated text contains any of these (text from the stop string on is not yielded). */
  readonly stopStrings?: readonly string[];
  /** Seed of the sampler. Default 0. */
  readonly seed?: number;
  /** Use the incremental decoder (key/value cache, LSTM state). Default true; false recomputes every step. */
  readonly cache?: boolean;
}

/**
 * One generated token and the text it completes (empty while a multi-byte character is incomplete). A last
 * item with `id` −1 carries text held back at the end: an unfinished character, or the start of a stop
 * string that never completed.
 */
export interface GeneratedToken {
  readonly id: number;
  readonly text: string;
}

/**
 * Generates text as an async iterator of tokens: the prompt (text, encoded without special tokens, or ids)
 * is fed once, then each new token costs one position thanks to the model's incremental decoder. When the
 * text outgrows the context, a sliding window keeps the most recent half and re-feeds it. Sampling:
 * greedy, temperature, top-k, top-p, min-p, repetition penalty, seeded. Stops at `maxTokens`, a stop token
 * or a stop string.
 *
 * @example
 * ```ts
 * for await (const { text } of generate(model, tokenizer, 'Call me', { maxTokens: 40, temperature: 0.8, seed: 1 }))
 *   process.stdout.write(text);
 * ```
 */
export async function* generate(
  model: LanguageModel,
  tokenizer: BpeTokenizer,
  prompt: string | readonly number[],
  options: GenerateOptions = {},
): AsyncGenerator<GeneratedToken> {
  const ids = typeof prompt === 'string' ? tokenizer.encodeOrdinary(prompt) : [...prompt];
  if (ids.length === 0) throw new RangeError('the prompt has no tokens');
  const random = new SeededRandom(options.seed ?? 0);
  const stops = new Set(options.stopTokens ?? []);
  const stopStrings = options.stopStrings ?? [];
  const decoder = new StreamingDecoder(tokenizer);
  const context = model.contextLength;
  let incremental = options.cache === false ? undefined : model.decoder();
  // The ids the decoder has seen; fed again from a window when the context is full.
  let window = ids.slice(-context);
  let logits = incremental ? incremental.next(window) : lastLogits(model, window);
  let text = '';
  let emitted = 0; // characters of `text` already yielded
  try {
    for (let generated = 0; generated < (options.maxTokens ?? 128); generated++) {
      const id = sampleToken(logits, options, ids, random);
      if (stops.has(id)) break;
      ids.push(id);
      text += decoder.push(id);
      const stopAt = stopStrings.reduce((first, stop) => {
        const at = text.indexOf(stop);
        return at >= 0 && (first < 0 || at < first) ? at : first;
      }, -1);
      if (stopAt >= 0) {
        if (stopAt > emitted) yield { id, text: text.slice(emitted, stopAt) };
        return;
      }
      // Hold back text that could be the start of a stop string.
      const holdBack = stopStrings.reduce((longest, stop) => {
        for (let k = Math.min(stop.length - 1, text.length); k > longest; k--)
          if (text.endsWith(stop.slice(0, k))) return k;
        return longest;
      }, 0);
      const until = Math.max(emitted, text.length - holdBack);
      yield { id, text: text.slice(emitted, until) };
      emitted = until;
      if (window.length + 1 > context) {
        // Sliding window: keep the most recent half of the context and start the decoder again on it.
        window = ids.slice(-Math.max(1, Math.floor(context / 2)));
        incremental?.dispose();
        incremental = options.cache === false ? undefined : model.decoder();
        logits = incremental ? incremental.next(window) : lastLogits(model, window);
      } else {
        window.push(id);
        logits = incremental ? incremental.next([id]) : lastLogits(model, window);
      }
    }
    // Text held back for a stop string that never came, and bytes of an unfinished character.
    const rest = text.slice(emitted) + decoder.flush();
    if (rest) yield { id: -1, text: rest };
  } finally {
    incremental?.dispose();
  }
}

/** Logits after the last of `ids`, from a full forward pass (no cache). */
function lastLogits(model: LanguageModel, ids: readonly number[]): Float32Array {
  const last = tf.tidy(() => {
    const all = model.logits(tf.tensor2d([[...ids]], [1, ids.length], 'int32'));
    return all.slice([0, ids.length - 1, 0], [1, 1, model.vocabSize]).reshape([model.vocabSize]);
  });
  const values = last.dataSync() as Float32Array;
  last.dispose();
  return values;
}

/**
 * Generates the assistant's reply to a conversation: the messages are rendered with the tokenizer's chat
 * template (default ChatML) and an assistant header, and generation stops at the template's end-of-turn
 * token (not yielded).
 *
 * @example
 * ```ts
 * for await (const { text } of generateChat(model, tokenizer, [{ role: 'user', content: 'Who is Ahab?' }], { maxTokens: 60 }))
 *   process.stdout.write(text);
 * ```
 */
export function generateChat(
  model: LanguageModel,
  tokenizer: BpeTokenizer,
  messages: readonly ChatMessage[],
  options: GenerateOptions & { readonly template?: ChatTemplate } = {},
): AsyncGenerator<GeneratedToken> {
  const template = options.template ?? CHATML;
  const { ids } = renderChat(tokenizer, messages, { template, addGenerationPrompt: true });
  const endOfTurn = tokenizer.specialTokens.get(template.endOfTurn)!;
  return generate(model, tokenizer, ids, {
    ...options,
    stopTokens: [...(options.stopTokens ?? []), endOfTurn],
  });
}
