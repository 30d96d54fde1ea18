import { BpeTokenizer, CHATML } from '@lm-stack/tokenizer';
import { arrayTokens, MiniGpt, selectBackend, Trainer } from '@lm-stack/transformer';
import * as tf from '@tensorflow/tfjs';
import { readChatJsonl } from '../chat-data.js';

/** The shipped handful of Moby-Dick questions and answers. */
export const CHAT_FILE = new URL('../../data/moby-dick-chat.jsonl', import.meta.url).pathname;

export const TEXT = [
  'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse,',
  'and nothing particular to interest me on shore, I thought I would sail about a little and see the watery',
  'part of the world. It is a way I have of driving off the spleen and regulating the circulation.',
].join(' ');

/** A small tokenizer (with ChatML's specials) and a GQA MiniGPT trained a little on TEXT and the chats. */
export async function smallBase(options: { steps?: number; tied?: boolean } = {}) {
  const chats = readChatJsonl(CHAT_FILE)
    .flatMap(({ messages }) => messages.map((message) => message.content))
    .join(' ');
  const tokenizer = await BpeTokenizer.train([TEXT.repeat(3), chats], {
    vocabSize: 384,
    specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
  });
  await selectBackend('wasm');
  const model = new MiniGpt(
    {
      vocabSize: tokenizer.vocabSize,
      contextLength: 128,
      dModel: 64,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 2,
      dFf: 128,
      tieEmbeddings: options.tied ?? false,
    },
    5,
  );
  const trainer = new Trainer({
    model,
    train: arrayTokens(tokenizer.encode(TEXT.repeat(4))),
    batchSize: 8,
    steps: options.steps ?? 40,
    learningRate: 3e-3,
  });
  await trainer.fit();
  trainer.dispose();
  return { tokenizer, model, template: CHATML };
}

/** Logits [seq, vocab] of `model` for `ids`, as plain numbers. */
export function logitsOf(
  model: { logits(ids: tf.Tensor2D): tf.Tensor3D },
  ids: readonly number[],
): Float32Array {
  return tf.tidy(
    () => model.logits(tf.tensor2d([[...ids]], [1, ids.length], 'int32')).dataSync() as Float32Array,
  );
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
