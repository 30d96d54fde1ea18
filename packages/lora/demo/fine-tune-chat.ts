// The README's example: pretrain a small MiniGPT on Moby-Dick, fine-tune a LoRA adapter on 24 shipped chat
// examples, export base + adapter as GGUF, and chat with them in llama.cpp. Run: pnpm --filter @lm-stack/lora demo
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BpeTokenizer, CHATML } from '@lm-stack/tokenizer';
import { arrayTokens, MiniGpt, selectBackend, Trainer } from '@lm-stack/transformer';
import { exportGguf, importGguf, writeModelfile } from '@lm-stack/transformer/node';
import { getLlama, LlamaChatSession } from 'node-llama-cpp';
import { fineTune, mergeAdapter, readChatJsonl, saveGgufAdapter, splitChats } from '../src/index.js';

const out = 'lora-demo';
mkdirSync(out, { recursive: true });
const chapters = gunzipSync(readFileSync(new URL('../../../../shared/corpus/en.jsonl.gz', import.meta.url)))
  .toString('utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line))
  .filter((document) => document.source === 'moby-dick')
  .map((document) => document.text as string);
const chats = readChatJsonl(new URL('../data/moby-dick-chat.jsonl', import.meta.url).pathname);
const { train, validation } = splitChats(chats, 0.2);
console.log(
  `${chapters.length} chapters; ${train.length} training and ${validation.length} validation chats`,
);

await selectBackend('wasm');
const exportOptions = { eos: '<|endoftext|>', chatTemplate: CHATML } as const;
const basePath = join(out, 'base-f32.gguf');
// The pretrained base is cached as its GGUF export: a rerun imports it instead of training again.
const { model: base, tokenizer } = existsSync(basePath)
  ? await importGguf(basePath)
  : await pretrain(chapters.join('\n\n'));

async function pretrain(text: string) {
  const tokenizer = await BpeTokenizer.train([text], {
    vocabSize: 512,
    specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
  });
  const model = new MiniGpt(
    { vocabSize: 512, contextLength: 128, dModel: 128, nLayers: 4, nHeads: 4, dFf: 512 },
    1,
  );
  const trainer = new Trainer({
    model,
    train: arrayTokens(tokenizer.encode(text)),
    batchSize: 16,
    steps: 120,
    learningRate: { peak: 2e-3, warmupSteps: 12, decaySteps: 120 },
  });
  const started = performance.now();
  const last = await trainer.fit();
  trainer.dispose();
  console.log(
    `pretrained 120 steps in ${((performance.now() - started) / 1000).toFixed(0)} s: loss ${last.loss.toFixed(3)}`,
  );
  await exportGguf(model, tokenizer, basePath, exportOptions);
  return { model, tokenizer };
}

const { adapter, report } = await fineTune({
  base,
  tokenizer,
  train,
  validation,
  lora: {
    rank: 16,
    alpha: 32,
    targets: ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down', 'output'],
  },
  steps: 300,
  batchSize: 8,
  sequenceLength: 64,
  learningRate: { peak: 5e-3, warmupSteps: 20, decaySteps: 300 },
  runDirectory: join(out, 'run'),
});
console.log(
  `LoRA: ${report.trainableParameters.toLocaleString('en-US')} trainable of ${report.baseParameters.toLocaleString('en-US')} ` +
    `(${((100 * report.trainableParameters) / report.baseParameters).toFixed(1)}%), ${Math.round(report.tokensPerSecond)} tokens/s, ` +
    `train loss ${report.finalTrainLoss.toFixed(3)}, held-out assistant-only loss ${report.validationLoss!.before.toFixed(3)} → ${report.validationLoss!.after.toFixed(3)}`,
);

await saveGgufAdapter(adapter, join(out, 'adapter.gguf'), { name: 'moby-dick-qa' });
writeModelfile(join(out, 'Modelfile'), {
  from: './base-f32.gguf',
  adapter: './adapter.gguf',
  chatTemplate: CHATML,
});
const sizes = ['base-f32.gguf', 'adapter.gguf'].map(
  (file) => `${file} ${(statSync(join(out, file)).size / 1024).toFixed(0)} KiB`,
);
console.log(`wrote ${sizes.join(', ')}, Modelfile (FROM + ADAPTER)`);

const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
const model = await llama.loadModel({ modelPath: join(out, 'base-f32.gguf') });
// Three questions it was trained on, and the held-out ones.
const question = (example: (typeof chats)[number]) =>
  example.messages.find((message) => message.role === 'user')!.content;
const questions = [
  ...train.slice(0, 3).map(question),
  ...validation.map((example) => `${question(example)} (held out)`),
];
for (const withAdapter of [false, true]) {
  console.log(withAdapter ? '\nllama.cpp, base + adapter:' : '\nllama.cpp, base alone:');
  for (const question of questions) {
    const context = await model.createContext({
      contextSize: 128,
      threads: 1,
      ...(withAdapter ? { lora: { adapters: [{ filePath: join(out, 'adapter.gguf') }] } } : {}),
    });
    // No system prompt: the adapter was trained on conversations without one. llama.cpp reads the ChatML
    // template from the file (tokenizer.chat_template).
    const session = new LlamaChatSession({ contextSequence: context.getSequence(), systemPrompt: '' });
    const answer = await session.prompt(question.replace(' (held out)', ''), {
      temperature: 0,
      maxTokens: 40,
    });
    console.log(`  > ${question}\n    ${answer.trim().replaceAll('\n', ' ')}`);
    await context.dispose();
  }
}
// The fallback for Ollama versions that refuse adapters: one merged file.
mergeAdapter(base, adapter);
await exportGguf(base, tokenizer, join(out, 'merged-f32.gguf'), exportOptions);
writeModelfile(join(out, 'Modelfile.merged'), { from: './merged-f32.gguf', chatTemplate: CHATML });
console.log(
  `\nwrote merged-f32.gguf and Modelfile.merged (${(statSync(join(out, 'merged-f32.gguf')).size / 1024).toFixed(0)} KiB)`,
);
await model.dispose();
await llama.dispose();
