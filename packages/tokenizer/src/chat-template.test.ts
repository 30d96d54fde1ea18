import { fc, test } from '@fast-check/vitest';
import { Template } from '@huggingface/jinja';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BpeTokenizer,
  CHATML,
  type ChatMessage,
  renderChat,
  TokenizerFormatError,
  toJinja,
  toOllamaTemplate,
} from './index.js';

let tokenizer: BpeTokenizer;
beforeAll(async () => {
  tokenizer = await BpeTokenizer.train(['user assistant system hello there, how are you? fine thanks\n'], {
    vocabSize: 300,
    pattern: 'gpt2',
    specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
    minFrequency: 1,
  });
});

const message = fc.record({
  role: fc.constantFrom('system', 'user', 'assistant'),
  content: fc.string({
    unit: fc.constantFrom('a', ' ', '\n', 'é', '?', '<|im_end|>', 'hi', '😀', '  '),
    maxLength: 20,
  }),
});

describe('renderChat (ChatML)', () => {
  it('renders a worked example', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'fine' },
    ];
    const rendered = renderChat(tokenizer, messages);
    expect(rendered.text).toBe('<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\nfine<|im_end|>\n');
    const masked = rendered.ids.filter((_, i) => rendered.mask[i] === 1);
    expect(tokenizer.decode(masked)).toBe('fine<|im_end|>');
  });

  test.prop([fc.array(message, { maxLength: 5 }), fc.boolean()])(
    'ids decode to the text; the mask covers exactly the assistant turns',
    (messages, addGenerationPrompt) => {
      const rendered = renderChat(tokenizer, messages, { addGenerationPrompt });
      expect(tokenizer.decode(rendered.ids)).toBe(rendered.text);
      expect(rendered.mask).toHaveLength(rendered.ids.length);
      // Special-token text inside content is plain text: the only <|im_end|> ids are the template's.
      const endId = tokenizer.specialTokens.get('<|im_end|>');
      expect(rendered.ids.filter((id) => id === endId)).toHaveLength(messages.length);
      // Masked tokens, decoded run by run, are the assistant contents each followed by its end-of-turn token.
      const runs: string[] = [];
      let run: number[] = [];
      rendered.ids.forEach((id, i) => {
        if (rendered.mask[i] === 1) run.push(id);
        else if (run.length > 0) {
          runs.push(tokenizer.decode(run));
          run = [];
        }
      });
      if (run.length > 0) runs.push(tokenizer.decode(run));
      const expected = messages.filter((m) => m.role === 'assistant').map((m) => `${m.content}<|im_end|>`);
      expect(runs.join('')).toBe(expected.join(''));
    },
  );

  test.prop([fc.array(message, { maxLength: 5 }), fc.boolean()])(
    'the Jinja template renders the same text (@huggingface/jinja)',
    (messages, addGenerationPrompt) => {
      const jinja = new Template(toJinja(CHATML)).render({
        messages,
        add_generation_prompt: addGenerationPrompt,
      });
      expect(jinja).toBe(renderChat(tokenizer, messages, { addGenerationPrompt }).text);
    },
  );

  it('gives the Ollama template and stop strings', () => {
    expect(toOllamaTemplate(CHATML)).toEqual({
      template:
        '{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n',
      stop: ['<|im_end|>'],
    });
  });

  it('rejects a template whose end-of-turn token the tokenizer lacks', () => {
    const template = { ...CHATML, endOfTurn: '<|eot|>', messageEnd: '<|eot|>\n' };
    expect(() => renderChat(tokenizer, [], { template })).toThrow(TokenizerFormatError);
    expect(() => toJinja({ ...CHATML, messageStart: 'no role here' })).toThrow(/\{role\} exactly once/);
  });
});
