import type { BpeTokenizerCore } from './bpe-tokenizer.js';
import { TokenizerFormatError } from './errors.js';

/** One chat message. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant' | (string & {});
  readonly content: string;
}

/**
 * A chat format as data, so one definition renders token ids with a loss mask, a Jinja template (GGUF
 * `tokenizer.chat_template`) and an Ollama Go `TEMPLATE` that all produce the same text.
 * A message renders as `messageStart` (with `{role}` replaced) + content + `messageEnd`.
 */
export interface ChatTemplate {
  readonly name: string;
  /** Text before the first message (e.g. a BOS token's text). */
  readonly prefix: string;
  /** Text before each message's content; `{role}` is replaced by the role. */
  readonly messageStart: string;
  /** Text after each message's content; must start with `endOfTurn`. */
  readonly messageEnd: string;
  /** The special token that ends a turn; the assistant's copy is trained on and generation stops at it. */
  readonly endOfTurn: string;
}

/**
 * ChatML (`<|im_start|>role\ncontent<|im_end|>\n`), the default template.
 *
 * @example
 * ```ts
 * renderChat(tokenizer, [{ role: 'user', content: 'hi' }], { template: CHATML }).text;
 * // '<|im_start|>user\nhi<|im_end|>\n'
 * ```
 */
export const CHATML: ChatTemplate = {
  name: 'chatml',
  prefix: '',
  messageStart: '<|im_start|>{role}\n',
  messageEnd: '<|im_end|>\n',
  endOfTurn: '<|im_end|>',
};

/** The rendered conversation: text, ids and a loss mask (1 on the assistant's content and end-of-turn). */
export interface RenderedChat {
  readonly text: string;
  readonly ids: number[];
  /** `mask[i]` is 1 when `ids[i]` should be trained on, else 0. */
  readonly mask: number[];
}

/** Options of {@link renderChat}. */
export interface RenderChatOptions {
  /** Default {@link CHATML}. */
  readonly template?: ChatTemplate;
  /** Append the start of an assistant message (for generation). Default false. */
  readonly addGenerationPrompt?: boolean;
}

interface Piece {
  readonly text: string;
  /** Set on template text; content is never split at special-token text. */
  readonly template: boolean;
  readonly trained: boolean;
}

function checkTemplate(template: ChatTemplate, tokenizer: Pick<BpeTokenizerCore, 'specialTokens'>): void {
  if (!template.messageEnd.startsWith(template.endOfTurn))
    throw new TokenizerFormatError(
      'template.messageEnd',
      template.messageEnd,
      `must start with endOfTurn ${template.endOfTurn}`,
    );
  if (!tokenizer.specialTokens.has(template.endOfTurn))
    throw new TokenizerFormatError(
      'template.endOfTurn',
      template.endOfTurn,
      'is not a special token of the tokenizer',
    );
}

/**
 * Renders messages to text, ids and a loss mask. Text between the template's special tokens is encoded as
 * one span, exactly as llama.cpp tokenizes the rendered prompt, so ids equal what the exported model sees.
 * A token is masked in when it overlaps the assistant's content; the assistant's end-of-turn token is
 * masked in too. Special-token text inside message content is encoded as plain text, never as a special.
 *
 * @example
 * ```ts
 * const { ids, mask } = renderChat(tokenizer, [
 *   { role: 'user', content: 'Who wrote Moby-Dick?' },
 *   { role: 'assistant', content: 'Herman Melville.' },
 * ]);
 * ```
 */
export function renderChat(
  tokenizer: BpeTokenizerCore,
  messages: readonly ChatMessage[],
  options: RenderChatOptions = {},
): RenderedChat {
  const template = options.template ?? CHATML;
  checkTemplate(template, tokenizer);
  const pieces: Piece[] = [{ text: template.prefix, template: true, trained: false }];
  for (const message of messages) {
    const assistant = message.role === 'assistant';
    pieces.push({
      text: template.messageStart.replaceAll('{role}', message.role),
      template: true,
      trained: false,
    });
    pieces.push({ text: message.content, template: false, trained: assistant });
    pieces.push({ text: template.endOfTurn, template: true, trained: assistant });
    pieces.push({
      text: template.messageEnd.slice(template.endOfTurn.length),
      template: true,
      trained: false,
    });
  }
  if (options.addGenerationPrompt)
    pieces.push({
      text: template.messageStart.replaceAll('{role}', 'assistant'),
      template: true,
      trained: false,
    });

  const ids: number[] = [];
  const mask: number[] = [];
  let span = '';
  let trainedRanges: Array<[number, number]> = [];
  const flushSpan = () => {
    if (span.length === 0) return;
    for (const token of tokenizer.encodeWithOffsets(span, { disallowedSpecial: [] })) {
      ids.push(token.id);
      mask.push(trainedRanges.some(([start, end]) => token.start < end && token.end > start) ? 1 : 0);
    }
    span = '';
    trainedRanges = [];
  };
  for (const piece of pieces) {
    if (!piece.template) {
      if (piece.trained) trainedRanges.push([span.length, span.length + piece.text.length]);
      span += piece.text;
      continue;
    }
    // Template text: split at the tokenizer's special tokens, which become single ids.
    let rest = piece.text;
    while (rest.length > 0) {
      let best: { at: number; token: string } | undefined;
      for (const token of tokenizer.specialTokens.keys()) {
        const at = rest.indexOf(token);
        if (
          at !== -1 &&
          (best === undefined || at < best.at || (at === best.at && token.length > best.token.length))
        )
          best = { at, token };
      }
      if (best === undefined) {
        span += rest;
        break;
      }
      span += rest.slice(0, best.at);
      flushSpan();
      ids.push(tokenizer.specialTokens.get(best.token)!);
      mask.push(piece.trained ? 1 : 0);
      rest = rest.slice(best.at + best.token.length);
    }
  }
  flushSpan();
  return { text: pieces.map((piece) => piece.text).join(''), ids, mask };
}

function jinjaString(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('\n', '\\n')}'`;
}

/**
 * The Jinja chat template (Hugging Face / GGUF `tokenizer.chat_template`) that renders the same text as
 * {@link renderChat}.
 *
 * @example
 * ```ts
 * toJinja(CHATML); // "{{ '' }}{% for message in messages %}{{ '<|im_start|>' + message['role'] + ..."
 * ```
 */
export function toJinja(template: ChatTemplate): string {
  const [beforeRole, afterRole] = splitAtRole(template.messageStart);
  return (
    `{{ ${jinjaString(template.prefix)} }}` +
    `{% for message in messages %}{{ ${jinjaString(beforeRole)} + message['role'] + ${jinjaString(afterRole)} + ` +
    `message['content'] + ${jinjaString(template.messageEnd)} }}{% endfor %}` +
    `{% if add_generation_prompt %}{{ ${jinjaString(beforeRole)} + 'assistant' + ${jinjaString(afterRole)} }}{% endif %}`
  );
}

/** An Ollama `TEMPLATE` (Go text/template) and its `PARAMETER stop` strings. */
export interface OllamaTemplate {
  readonly template: string;
  readonly stop: string[];
}

/**
 * The Ollama Go `TEMPLATE` equivalent of {@link toJinja}, with the stop strings for the Modelfile.
 *
 * @example
 * ```ts
 * toOllamaTemplate(CHATML).stop; // ['<|im_end|>']
 * ```
 */
export function toOllamaTemplate(template: ChatTemplate): OllamaTemplate {
  const [beforeRole, afterRole] = splitAtRole(template.messageStart);
  const goText = (text: string) => text.replaceAll('{{', '{{"{{"}}');
  return {
    template:
      `${goText(template.prefix)}{{- range .Messages }}${goText(beforeRole)}{{ .Role }}${goText(afterRole)}` +
      `{{ .Content }}${goText(template.messageEnd)}{{ end }}${goText(beforeRole)}assistant${goText(afterRole)}`,
    stop: [template.endOfTurn],
  };
}

function splitAtRole(messageStart: string): [string, string] {
  const at = messageStart.indexOf('{role}');
  if (at === -1 || messageStart.indexOf('{role}', at + 1) !== -1)
    throw new TokenizerFormatError('template.messageStart', messageStart, 'must contain {role} exactly once');
  return [messageStart.slice(0, at), messageStart.slice(at + '{role}'.length)];
}
