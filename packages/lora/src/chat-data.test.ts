import { BpeTokenizer, CHATML, renderChat } from '@lm-stack/tokenizer';
import { describe, expect, it } from 'vitest';
import { chatDatasetHash, packChats, parseChatJsonl, readChatJsonl, splitChats } from './chat-data.js';
import { ChatDataError } from './errors.js';
import { CHAT_FILE } from './testing/fixtures.js';

describe('chat data', () => {
  it('reads both forms: messages and alpaca (instruction + input → user, output → assistant)', () => {
    const examples = parseChatJsonl(
      [
        '{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]}',
        '',
        '{"instruction": "Translate.", "input": "Bonjour", "output": "Hello", "system": "You translate."}',
      ].join('\n'),
    );
    expect(examples).toEqual([
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello.' },
        ],
      },
      {
        messages: [
          { role: 'system', content: 'You translate.' },
          { role: 'user', content: 'Translate.\n\nBonjour' },
          { role: 'assistant', content: 'Hello' },
        ],
      },
    ]);
    expect(readChatJsonl(CHAT_FILE).length).toBe(24);
  });

  it('names the file, line and problem of a bad line', () => {
    const cases: Array<[string, string]> = [
      ['{"messages": [', 'data.jsonl:2: not JSON'],
      ['[1, 2]', 'data.jsonl:2: not a JSON object'],
      [
        '{"messages": [{"role": "robot", "content": "hi"}]}',
        'messages[0].role "robot" is not system, user or assistant',
      ],
      ['{"messages": [{"role": "user", "content": "hi"}]}', 'data.jsonl:2: no assistant message'],
      ['{"instruction": "x", "output": 3}', 'neither {"messages": [...]} nor alpaca'],
      ['{"__proto__": {"messages": 1}, "instruction": "a", "output": "b"}', ''],
    ];
    for (const [line, message] of cases) {
      const text = `{"instruction": "ok", "output": "ok"}\n${line}`;
      if (message === '') {
        // a "__proto__" key is just a key: the line is read as alpaca, nothing is polluted
        expect(parseChatJsonl(text, 'data.jsonl')[1]!.messages[1]!.content).toBe('b');
        expect(({} as Record<string, unknown>).messages).toBeUndefined();
        continue;
      }
      expect(() => parseChatJsonl(text, 'data.jsonl')).toThrow(ChatDataError);
      expect(() => parseChatJsonl(text, 'data.jsonl')).toThrow(message);
    }
  });

  it('splits by content hash: stable under reordering, validation never empty', () => {
    const examples = readChatJsonl(CHAT_FILE);
    const { train, validation } = splitChats(examples, 0.25);
    expect(train.length + validation.length).toBe(24);
    expect(validation.length).toBeGreaterThan(0);
    const again = splitChats([...examples].reverse(), 0.25);
    expect(new Set(again.validation.map((example) => example.messages[0]!.content))).toEqual(
      new Set(validation.map((example) => example.messages[0]!.content)),
    );
    expect(chatDatasetHash(examples)).toMatch(/^[0-9a-f]{64}$/);
    expect(chatDatasetHash(examples)).not.toBe(chatDatasetHash(train));
  });

  it('packs rendered conversations end to end with the assistant-only mask', async () => {
    const tokenizer = await BpeTokenizer.train(['Who wrote Moby-Dick? Herman Melville wrote Moby-Dick.'], {
      vocabSize: 300,
      specialTokens: ['<|im_start|>', '<|im_end|>'],
    });
    const examples = readChatJsonl(CHAT_FILE).slice(0, 3);
    const packed = packChats(tokenizer, examples);
    const rendered = examples.map(({ messages }) => renderChat(tokenizer, messages, { template: CHATML }));
    expect([...packed.tokens]).toEqual(rendered.flatMap((chat) => chat.ids));
    expect([...packed.weights]).toEqual(rendered.flatMap((chat) => chat.mask));
    expect([...packed.starts]).toEqual([
      0,
      rendered[0]!.ids.length,
      rendered[0]!.ids.length + rendered[1]!.ids.length,
    ]);
    // The trained tokens decode to the assistant's replies, each followed by its end-of-turn token.
    const trained = [...packed.tokens].filter((_, i) => packed.weights[i] === 1);
    expect(tokenizer.decode(trained)).toBe(
      examples.map(({ messages }) => `${messages.at(-1)!.content}<|im_end|>`).join(''),
    );
  });
});
