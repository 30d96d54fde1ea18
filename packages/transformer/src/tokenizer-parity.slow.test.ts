import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import * as tf from '@tensorflow/tfjs';
import { getLlama, type LlamaModel } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { hasSharedCorpus, readSharedCorpus } from '../../../scripts/shared-corpus.js';
import { MiniGpt } from './index.js';
import { exportGguf } from './node.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-tokenizer-parity-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The shortest substring of `text` (by trimming either end) on which the two tokenizers still differ. */
function minimise(text: string, differs: (text: string) => boolean): string {
  let current = text;
  for (let changed = true; changed; ) {
    changed = false;
    for (const cut of [Math.ceil(current.length / 2), 64, 8, 1])
      for (const next of [current.slice(cut), current.slice(0, -cut)])
        if (next.length > 0 && next.length < current.length && differs(next)) {
          current = next;
          changed = true;
          break;
        }
  }
  return current;
}

// A byte-level BPE trained on the whole shared corpus (gpt2 and cl100k patterns), exported with a small model, then
// llama.cpp's tokenizer (from the GGUF alone) against ours on all 6,788 documents.
describe.runIf(hasSharedCorpus)('tokenizer in llama.cpp', () => {
  it.each(['gpt2', 'cl100k'] as const)(
    'tokenizes every document of the shared corpus as we do (%s pattern)',
    async (pattern) => {
      await tf.setBackend('cpu');
      const texts = readSharedCorpus().map((document) => document.text);
      const tokenizer = await BpeTokenizer.train(texts, {
        vocabSize: 4096,
        pattern,
        specialTokens: ['<|endoftext|>'],
      });
      const model = new MiniGpt(
        { vocabSize: tokenizer.vocabSize, contextLength: 32, dModel: 32, nLayers: 1, nHeads: 2, dFf: 64 },
        1,
      );
      const path = join(root, 'tokenizer.gguf');
      await exportGguf(model, tokenizer, path, { eos: '<|endoftext|>' });
      model.dispose();
      const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
      const loaded: LlamaModel = await llama.loadModel({ modelPath: path, vocabOnly: true });
      const theirs = (text: string) => [...loaded.tokenize(text, false)].map(Number);
      const differs = (text: string) => {
        const a = tokenizer.encodeOrdinary(text);
        const b = theirs(text);
        return a.length !== b.length || a.some((id, i) => id !== b[i]);
      };
      const mismatches: string[] = [];
      for (const text of texts) if (differs(text)) mismatches.push(minimise(text, differs));
      const reduced = [...new Set(mismatches)].map((text) => JSON.stringify(text));
      console.log(
        `${pattern} (tokenizer.ggml.pre ${tokenizer.toGgufFields().pre}): llama.cpp vs ours on ${texts.length} documents: ${mismatches.length} differ; minimal strings: ${reduced.slice(0, 10).join(', ')}`,
      );
      await loaded.dispose();
      await llama.dispose();
      expect(reduced).toEqual([]);
    },
    600_000,
  );
});
