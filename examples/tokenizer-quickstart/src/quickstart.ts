import { BpeTokenizer, CHATML, renderChat, toJinja } from '@lm-stack/tokenizer';

/** What the quickstart measured, for printing and for its test. */
export interface QuickstartReport {
  readonly vocabSize: number;
  readonly merges: number;
  readonly trainSeconds: number;
  /** UTF-8 bytes per token on held-out text: ours and cl100k_base (higher compresses better). */
  readonly bytesPerToken: { readonly ours: number; readonly cl100k: number };
  readonly sample: { readonly text: string; readonly pieces: string[]; readonly roundTrip: boolean };
  readonly chat: { readonly tokens: number; readonly trained: number; readonly trainedText: string };
}

/** Special tokens of the quickstart tokenizer: document separator and ChatML turn markers. */
export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

/**
 * Trains a tokenizer on `trainTexts`, then measures it on `heldOut` against cl100k_base and renders a chat
 * with its assistant-only loss mask.
 */
export async function runQuickstart(
  trainTexts: string[],
  heldOut: string[],
  vocabSize: number,
): Promise<{ tokenizer: BpeTokenizer; report: QuickstartReport }> {
  const started = performance.now();
  const tokenizer = await BpeTokenizer.train(trainTexts, {
    vocabSize,
    pattern: 'gpt2',
    specialTokens: SPECIAL_TOKENS,
  });
  const trainSeconds = (performance.now() - started) / 1000;

  const cl100k = await BpeTokenizer.fromTiktoken('cl100k_base');
  const bytes = heldOut.reduce((sum, text) => sum + new TextEncoder().encode(text).length, 0);
  const count = (encoder: BpeTokenizer) =>
    heldOut.reduce((sum, text) => sum + encoder.encodeOrdinary(text).length, 0);

  const text = 'Call me Ishmael. The whale, the sea and the Union are strong.';
  const ids = tokenizer.encode(text);
  const chat = renderChat(tokenizer, [
    { role: 'user', content: 'Who is the captain of the Pequod?' },
    { role: 'assistant', content: 'Captain Ahab.' },
  ]);
  return {
    tokenizer,
    report: {
      vocabSize: tokenizer.vocabSize,
      merges: tokenizer.definition.merges.length,
      trainSeconds,
      bytesPerToken: { ours: bytes / count(tokenizer), cl100k: bytes / count(cl100k) },
      sample: {
        text,
        pieces: ids.map((id) => tokenizer.decode([id])),
        roundTrip: tokenizer.decode(ids) === text,
      },
      chat: {
        tokens: chat.ids.length,
        trained: chat.mask.filter((bit) => bit === 1).length,
        trainedText: tokenizer.decode(chat.ids.filter((_, i) => chat.mask[i] === 1)),
      },
    },
  };
}

/** The chat template saved beside the tokenizer, for GGUF and Hugging Face. */
export const CHAT_TEMPLATE_JINJA = toJinja(CHATML);
