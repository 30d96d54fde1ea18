import type { TokenCounter } from './chunk-text.js';
import type { SearchHit } from './search-types.js';

/** Options of {@link formatContext}. */
export interface FormatContextOptions {
  /** Counts the budget in its tokens. */
  readonly tokenizer: Pick<TokenCounter, 'encodeOrdinary'>;
  /** Most tokens of context. */
  readonly maxTokens: number;
}

/** A prompt's context block and which hits it holds. */
export interface FormattedContext {
  readonly text: string;
  readonly tokens: number;
  /** The hits that fitted, in order; the rest were left out whole (never cut mid-chunk). */
  readonly used: readonly SearchHit[];
}

/** `[1] handbook.pdf, p. 3 — Title` */
function header(index: number, hit: SearchHit): string {
  const name = hit.filename.split(/[\\/]/).pop();
  const where =
    hit.metadata.page !== undefined
      ? `, p. ${hit.metadata.page}`
      : hit.metadata.record !== undefined
        ? `, record ${hit.metadata.record}`
        : '';
  const title = hit.metadata.title && hit.metadata.title !== name ? ` — ${hit.metadata.title}` : '';
  return `[${index}] ${name}${where}${title}`;
}

/**
 * Packs search hits into a numbered context block for a prompt, best first, until the token budget is
 * spent; a hit that does not fit whole is skipped and smaller later ones may still fit.
 *
 * @example
 * ```ts
 * const { text } = formatContext(await store.search(question), { tokenizer, maxTokens: 1500 });
 * const prompt = `Answer from the sources below and cite them as [n].\n\n${text}\n\nQuestion: ${question}`;
 * ```
 */
export function formatContext(hits: readonly SearchHit[], options: FormatContextOptions): FormattedContext {
  const blocks: string[] = [];
  const used: SearchHit[] = [];
  let tokens = 0;
  for (const hit of hits) {
    const block = `${header(used.length + 1, hit)}\n${hit.text.trim()}`;
    const separator = blocks.length ? 2 : 0; // "\n\n": at most two tokens in the BPE vocabularies used here
    const cost = options.tokenizer.encodeOrdinary(block).length + separator;
    if (tokens + cost > options.maxTokens) continue;
    blocks.push(block);
    used.push(hit);
    tokens += cost;
  }
  const text = blocks.join('\n\n');
  return { text, tokens: options.tokenizer.encodeOrdinary(text).length, used };
}
