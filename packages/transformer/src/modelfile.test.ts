import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGguf } from '@lm-stack/gguf';
import { BpeTokenizer, CHATML, toJinja } from '@lm-stack/tokenizer';
import * as tf from '@tensorflow/tfjs';
import { getLlama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MiniGpt } from './index.js';
import { exportGguf, modelfile, writeModelfile } from './node.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-modelfile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('modelfile', () => {
  it('writes FROM, TEMPLATE from the chat template, its stop string, parameters and SYSTEM', () => {
    expect(
      modelfile({
        from: './tiny.gguf',
        chatTemplate: CHATML,
        system: 'Answer briefly.',
        parameters: { temperature: 0.7, num_ctx: 128 },
      }),
    ).toBe(
      [
        'FROM ./tiny.gguf',
        'TEMPLATE """{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n"""',
        'PARAMETER stop "<|im_end|>"',
        'PARAMETER temperature 0.7',
        'PARAMETER num_ctx 128',
        'SYSTEM """Answer briefly."""',
        '',
      ].join('\n'),
    );
    expect(modelfile({ from: 'base.gguf', adapter: 'support-v3.gguf' })).toBe(
      'FROM base.gguf\nADAPTER support-v3.gguf\n',
    );
    expect(() => modelfile({ from: 'x', system: 'say """' })).toThrow('SYSTEM contains """');
    writeModelfile(join(root, 'Modelfile'), { from: './tiny.gguf' });
    expect(readFileSync(join(root, 'Modelfile'), 'utf8')).toBe('FROM ./tiny.gguf\n');
  });

  it('exports the chat template as Jinja and its end-of-turn token, which llama.cpp treats as end of generation', async () => {
    const tokenizer = await BpeTokenizer.train(['hello there, how are you today?'], {
      vocabSize: 300,
      specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
    });
    const model = new MiniGpt(
      { vocabSize: tokenizer.vocabSize, contextLength: 32, dModel: 32, nLayers: 1, nHeads: 2, dFf: 64 },
      1,
    );
    const path = join(root, 'chat.gguf');
    await exportGguf(model, tokenizer, path, { eos: '<|endoftext|>', chatTemplate: CHATML });
    const file = await readGguf(path);
    expect(file.metadata.get('tokenizer.chat_template')).toEqual({ type: 'string', value: toJinja(CHATML) });
    const imEnd = tokenizer.specialTokens.get('<|im_end|>')!;
    expect(file.metadata.get('tokenizer.ggml.eot_token_id')).toEqual({ type: 'u32', value: imEnd });
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    const loaded = await llama.loadModel({ modelPath: path });
    expect(loaded.tokens.eot).toBe(imEnd);
    expect(loaded.isEogToken(imEnd as never)).toBe(true);
    expect(loaded.isEogToken(tokenizer.specialTokens.get('<|endoftext|>')! as never)).toBe(true);
    await loaded.dispose();
    await llama.dispose();
    model.dispose();
  });
});
