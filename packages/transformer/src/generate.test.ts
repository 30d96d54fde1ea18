import { BpeTokenizer } from '@lm-stack/tokenizer';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type GeneratedToken,
  generate,
  generateChat,
  type IncrementalDecoder,
  type LanguageModel,
  LstmLm,
  MiniGpt,
  SeededRandom,
  sampleToken,
} from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const collect = async (stream: AsyncIterable<GeneratedToken>) => {
  const out: GeneratedToken[] = [];
  for await (const item of stream) out.push(item);
  return out;
};
let tokenizer: BpeTokenizer;
beforeAll(async () => {
  tokenizer = await BpeTokenizer.train(['the cat sat on the mat. the dog ran far away, café au lait.'], {
    vocabSize: 300,
    specialTokens: ['<|endoftext|>'],
  });
});

// Larger weights than the default initialisation, so logits are far apart and greedy choices are clear.
function sharpen(model: LanguageModel): LanguageModel {
  for (const variable of model.parameters.values()) variable.assign(variable.mul(6));
  return model;
}

describe('incremental decoding', () => {
  it('gives the logits of a full forward pass at every position (MiniGPT with GQA, LSTM)', () => {
    const models: LanguageModel[] = [
      new MiniGpt(
        { vocabSize: 300, contextLength: 16, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, dFf: 64 },
        2,
      ),
      new LstmLm({ vocabSize: 300, contextLength: 16, embeddingSize: 8, hiddenSize: 12, nLayers: 2 }, 2),
    ];
    const ids = [5, 9, 200, 17, 3, 3, 150, 42, 7, 99];
    for (const model of models) {
      const full = tf.tidy(() => model.logits(tf.tensor2d([ids], [1, ids.length], 'int32')).arraySync()[0]!);
      const decoder = model.decoder();
      // The prompt in one call, then one token at a time.
      const steps = [decoder.next(ids.slice(0, 4)), ...ids.slice(4).map((id) => decoder.next([id]))];
      steps.forEach((logits, step) => {
        const position = step + 3;
        const worst = Math.max(...full[position]!.map((value, i) => Math.abs(value - logits[i]!)));
        expect(worst).toBeLessThan(1e-5);
      });
      expect(decoder.length).toBe(ids.length);
      decoder.dispose();
      model.dispose();
    }
  });

  it('generates the same greedy tokens with and without the cache, also past the context (sliding window)', async () => {
    for (const model of [
      sharpen(
        new MiniGpt(
          { vocabSize: tokenizer.vocabSize, contextLength: 16, dModel: 32, nLayers: 2, nHeads: 2, dFf: 64 },
          3,
        ),
      ),
      sharpen(
        new LstmLm(
          { vocabSize: tokenizer.vocabSize, contextLength: 16, embeddingSize: 8, hiddenSize: 16, nLayers: 1 },
          3,
        ),
      ),
    ]) {
      const before = tf.memory().numTensors;
      const options = { maxTokens: 40, temperature: 0 }; // 40 tokens through a 16-token context
      const cached = (await collect(generate(model, tokenizer, 'the cat', options))).map((t) => t.id);
      const uncached = (
        await collect(generate(model, tokenizer, 'the cat', { ...options, cache: false }))
      ).map((t) => t.id);
      expect(cached).toEqual(uncached);
      expect(cached.filter((id) => id >= 0).length).toBe(40);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    }
  });
});

/** A model that always predicts the next id of a script, to test stopping and streaming exactly. */
function scripted(script: readonly number[], vocabSize: number): LanguageModel {
  const logitsAfter = (length: number) => {
    const out = new Float32Array(vocabSize).fill(-10);
    out[script[length % script.length]!] = 10;
    return out;
  };
  return {
    kind: 'minigpt',
    vocabSize,
    contextLength: 1000,
    parameters: new Map(),
    logits: (ids) =>
      tf.tidy(() =>
        tf
          .stack(Array.from({ length: ids.shape[1] }, (_, i) => tf.tensor1d(logitsAfter(i + 1))))
          .expandDims(0),
      ) as tf.Tensor3D,
    decoder: (): IncrementalDecoder => {
      let length = 0;
      return {
        get length() {
          return length;
        },
        next: (ids) => {
          length += ids.length;
          return logitsAfter(length);
        },
        dispose: () => undefined,
      };
    },
    decays: () => true,
    toConfig: () => ({}),
    dispose: () => undefined,
  };
}

describe('generate', () => {
  it('stops at a stop string without yielding it, and holds back text that may start one', async () => {
    const script = [0, ...tokenizer.encode(' the dog ran far away')]; // position 0 is the prompt
    const model = scripted(script, tokenizer.vocabSize);
    const pieces = await collect(
      generate(model, tokenizer, [script[0]!], { temperature: 0, stopStrings: [' ran'] }),
    );
    expect(pieces.map((piece) => piece.text).join('')).toBe(' the dog');
    const untilMax = await collect(
      generate(model, tokenizer, [script[0]!], { temperature: 0, maxTokens: 3 }),
    );
    expect(untilMax.map((piece) => piece.text).join('')).toBe(tokenizer.decode(script.slice(1, 4)));
  });

  it('stops at a stop token, which is not yielded', async () => {
    const script = [
      0,
      ...tokenizer.encode(' the dog'),
      tokenizer.specialTokens.get('<|endoftext|>')!,
      ...tokenizer.encode(' ran'),
    ];
    const pieces = await collect(
      generate(scripted(script, tokenizer.vocabSize), tokenizer, [0], {
        temperature: 0,
        stopTokens: [tokenizer.specialTokens.get('<|endoftext|>')!],
      }),
    );
    expect(pieces.map((piece) => piece.text).join('')).toBe(' the dog');
  });

  it('streams a character split across byte tokens only once it is complete', async () => {
    // "é" is bytes C3 A9; byte-level BPE has a token for each byte.
    const [c3, a9] = [0xc3, 0xa9].map(
      (byte) => tokenizer.encode(String.fromCharCode(byte)).length && byteToken(byte),
    );
    const pieces = await collect(
      generate(scripted([0, c3!, a9!], tokenizer.vocabSize), tokenizer, [0], {
        temperature: 0,
        maxTokens: 2,
      }),
    );
    expect(pieces.map((piece) => piece.text)).toEqual(['', 'é']);
  });
});

/** The id of the single-byte token for `byte`. */
function byteToken(byte: number): number {
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    const bytes = tokenizer.tokenBytes(id);
    if (bytes.length === 1 && bytes[0] === byte) return id;
  }
  throw new Error(`no token for byte ${byte}`);
}

describe('generateChat', () => {
  it('renders the conversation with the chat template and stops at its end-of-turn token', async () => {
    const chatTokenizer = await BpeTokenizer.train(['who is ahab? the captain of the ship.'], {
      vocabSize: 300,
      specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
    });
    const imEnd = chatTokenizer.specialTokens.get('<|im_end|>')!;
    const reply = chatTokenizer.encode(' the captain');
    // The prompt is the rendered conversation plus "<|im_start|>assistant\n"; the script answers, then ends the turn.
    const prompt = '<|im_start|>user\nwho is ahab?<|im_end|>\n<|im_start|>assistant\n';
    const promptLength = chatTokenizer.encode(prompt, { allowedSpecial: 'all' }).length;
    const script = [...new Array(promptLength - 1).fill(0), ...reply, imEnd, ...reply];
    const pieces = await collect(
      generateChat(
        scripted([0, ...script], chatTokenizer.vocabSize),
        chatTokenizer,
        [{ role: 'user', content: 'who is ahab?' }],
        { temperature: 0 },
      ),
    );
    expect(pieces.map((piece) => piece.text).join('')).toBe(' the captain');
  });
});

describe('sampleToken', () => {
  const random = () => new SeededRandom(4);
  it('is the argmax at temperature 0 and with top-k 1', () => {
    const logits = Float32Array.of(0.1, 2.5, -1, 2.4);
    expect(sampleToken(logits, { temperature: 0 }, [], random())).toBe(1);
    expect(sampleToken(logits, { topK: 1 }, [], random())).toBe(1);
    expect(sampleToken(logits, { topP: 0.01 }, [], random())).toBe(1);
  });
  it("applies llama.cpp's repetition penalty: positive logits divided, negative multiplied", () => {
    // [3, 2.5, −1] with token 0 recent and penalty 2 → [1.5, 2.5, −1]: greedy picks 1 instead of 0.
    expect(
      sampleToken(Float32Array.of(3, 2.5, -1), { temperature: 0, repetitionPenalty: 2 }, [0], random()),
    ).toBe(1);
    // a recent negative logit gets more negative: [−1 × 2 = −2, −1.5] → 1
    expect(
      sampleToken(Float32Array.of(-1, -1.5), { temperature: 0, repetitionPenalty: 2 }, [0], random()),
    ).toBe(1);
  });
  it('draws by the softmax: frequencies follow the probabilities, min-p and top-k cut the tail', () => {
    // logits ln 6, ln 3, ln 1 → probabilities 0.6, 0.3, 0.1
    const logits = Float32Array.of(Math.log(6), Math.log(3), 0);
    const generator = random();
    const counts = [0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[sampleToken(logits, {}, [], generator)]!++;
    expect(counts[0]! / 20_000).toBeCloseTo(0.6, 1);
    expect(counts[2]! / 20_000).toBeCloseTo(0.1, 1);
    for (let i = 0; i < 200; i++) expect(sampleToken(logits, { minP: 0.2 }, [], generator)).not.toBe(2); // 0.1 < 0.2 × 0.6
    for (let i = 0; i < 200; i++) expect(sampleToken(logits, { topK: 2 }, [], generator)).not.toBe(2);
    expect(sampleToken(logits, {}, [], random())).toBe(sampleToken(logits, {}, [], random())); // seeded
  });
});
