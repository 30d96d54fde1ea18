// LoRA fine-tuning against full fine-tuning of the same MiniGPT on the same chat data, one process:
// tokens/s, trainable share and peak tensor memory. Run: pnpm --filter @lm-stack/lora bench
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { arrayTokens, MiniGpt, parameterCount, selectBackend, Trainer } from '@lm-stack/transformer';
import * as tf from '@tensorflow/tfjs';
import { LoraAdapter, LoraModel, packChats, readChatJsonl } from '../src/index.js';

const STEPS = 20;
const chats = readChatJsonl(new URL('../data/moby-dick-chat.jsonl', import.meta.url).pathname);
const backend = await selectBackend('wasm');
const tokenizer = await BpeTokenizer.train(
  [chats.flatMap(({ messages }) => messages.map((message) => message.content)).join(' ')],
  { vocabSize: 512, specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] },
);
const packed = packChats(tokenizer, chats);
// The transformer issue's "tiny" config.
const config = { vocabSize: 512, contextLength: 128, dModel: 128, nLayers: 4, nHeads: 4, dFf: 512 };

async function run(kind: 'full' | 'lora') {
  const base = new MiniGpt(config, 1);
  const adapter = kind === 'lora' ? LoraAdapter.create(base, { rank: 8 }, 1) : undefined;
  const model = adapter ? new LoraModel(base, [{ adapter }]) : base;
  let peakBytes = 0;
  const trainer = new Trainer({
    model,
    train: arrayTokens(packed.tokens),
    trainWeights: arrayTokens(packed.weights),
    batchSize: 8,
    sequenceLength: 128,
    steps: STEPS + 3,
    learningRate: 1e-3,
    onProgress: () => {
      peakBytes = Math.max(peakBytes, tf.memory().numBytes);
    },
  });
  // 3 warm-up steps, then timed ones
  const warm = new Trainer({ ...trainer.options, steps: 3 });
  await warm.fit();
  warm.dispose();
  const started = performance.now();
  trainer.step = 3;
  await trainer.fit();
  const seconds = (performance.now() - started) / 1000;
  const tokensPerSecond = (STEPS * 8 * 128) / seconds;
  const trainable = parameterCount(model);
  const total = parameterCount(base);
  trainer.dispose();
  adapter?.dispose();
  base.dispose();
  return { tokensPerSecond, trainable, total, peakBytes };
}

console.log(`backend ${backend}, tiny MiniGPT, batch 8 × 128, ${STEPS} timed steps`);
const full = await run('full');
const lora = await run('lora');
for (const [name, result] of [
  ['full', full],
  ['lora r=8', lora],
] as const)
  console.log(
    `${name.padEnd(9)} ${Math.round(result.tokensPerSecond).toString().padStart(6)} tokens/s, trainable ${result.trainable.toLocaleString('en-US')} of ${(name === 'full' ? result.trainable : result.total + result.trainable).toLocaleString('en-US')} ` +
      `(${((100 * result.trainable) / (name === 'full' ? result.trainable : result.total + result.trainable)).toFixed(2)}%), peak tensor memory ${(result.peakBytes / 2 ** 20).toFixed(1)} MiB`,
  );
console.log(`ratio lora-vs-full ${(lora.tokensPerSecond / full.tokensPerSecond).toFixed(2)}`);
