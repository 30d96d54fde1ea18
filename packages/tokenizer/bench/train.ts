/**
 * Training wall time and peak memory on the shared 39.4 MB corpus: ours (32k vocab) against Hugging Face
 * `tokenizers` (Rust binding; its Node API trains with the default BpeTrainer, 30k vocab), same process.
 * Run: pnpm --filter @lm-stack/tokenizer bench
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { readSharedCorpus } from '../../../scripts/shared-corpus.js';
import { BpeTokenizer } from '../src/index.js';

const documents = readSharedCorpus().map((document) => document.text);

/** Linux: reset the peak-RSS high-water mark, then read it (kB in /proc/self/status VmHWM). */
function resetPeakRss(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}
function peakRssMb(): number {
  const line = readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return line ? Number(line[1]) / 1024 : Number.NaN;
}

const baseline = process.memoryUsage.rss() / 2 ** 20;
resetPeakRss();
let start = performance.now();
const ours = await BpeTokenizer.train(documents, {
  vocabSize: 32_000,
  pattern: 'gpt2',
  specialTokens: ['<|endoftext|>'],
});
const oursSeconds = (performance.now() - start) / 1000;
const oursPeak = peakRssMb();

const directory = mkdtempSync(join(tmpdir(), 'lm-stack-bench-'));
const file = join(directory, 'corpus.txt');
writeFileSync(file, documents.join('\n'));
const empty = {
  version: '1.0',
  added_tokens: [],
  normalizer: null,
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  post_processor: null,
  decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  model: {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    vocab: {},
    merges: [],
  },
};
const reference = Tokenizer.fromString(JSON.stringify(empty));
const before = process.memoryUsage.rss() / 2 ** 20;
resetPeakRss();
start = performance.now();
reference.train([file]);
const hfSeconds = (performance.now() - start) / 1000;
const hfPeak = peakRssMb();
rmSync(directory, { recursive: true, force: true });

console.table([
  {
    implementation: '@lm-stack/tokenizer',
    vocab: ours.vocabSize,
    seconds: oursSeconds.toFixed(2),
    'peak RSS MiB': oursPeak.toFixed(0),
    'RSS before MiB': baseline.toFixed(0),
  },
  {
    implementation: 'HF tokenizers (Rust)',
    vocab: reference.getVocabSize(),
    seconds: hfSeconds.toFixed(2),
    'peak RSS MiB': hfPeak.toFixed(0),
    'RSS before MiB': before.toFixed(0),
  },
]);
console.log(`ratio train-time ${(oursSeconds / hfSeconds).toFixed(2)}`);
