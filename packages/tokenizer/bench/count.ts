/**
 * Token-counting throughput on the shared 39.4 MB English corpus, one string per document, single thread:
 * ours (`withPreTokens`: the cl100k scanner and piece-count tables in WebAssembly) against tiktoken's
 * `encode(text).length` (WASM) and gpt-tokenizer's `countTokens`, in one process, rounds interleaved, best
 * of five each. Totals are checked equal to tiktoken's.
 * Run: pnpm --filter @lm-stack/tokenizer bench
 */
import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import { get_encoding } from 'tiktoken';
import { readSharedCorpus } from '../../../scripts/shared-corpus.js';
import { BpeTokenizer } from '../src/index.js';

const documents = readSharedCorpus().map((document) => document.text);
const megabytes = documents.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / 1e6;
const ours = await BpeTokenizer.fromTiktoken('cl100k_base');
const tiktoken = get_encoding('cl100k_base');

interface Contender {
  readonly name: string;
  readonly count: (text: string) => number;
  best: number;
  tokens: number;
}
const contender = (name: string, count: (text: string) => number): Contender => ({
  name,
  count,
  best: Number.POSITIVE_INFINITY,
  tokens: 0,
});
const contenders = [
  contender('@lm-stack/tokenizer withPreTokens', (text) =>
    ours.withPreTokens(text, ({ prefix }) => prefix[prefix.length - 1]!),
  ),
  contender('tiktoken encode().length (wasm)', (text) => tiktoken.encode_ordinary(text).length),
  contender('gpt-tokenizer countTokens', (text) => countTokens(text)),
];

for (let round = 0; round < 5; round++)
  for (const contender of contenders) {
    const started = performance.now();
    let tokens = 0;
    for (const text of documents) tokens += contender.count(text);
    contender.best = Math.min(contender.best, (performance.now() - started) / 1000);
    contender.tokens = tokens;
  }
tiktoken.free();

console.log(`corpus: ${documents.length} documents, ${megabytes.toFixed(1)} MB, cl100k_base`);
console.table(
  contenders.map(({ name, best, tokens }) => ({
    implementation: name,
    'MB/s': (megabytes / best).toFixed(1),
    tokens,
  })),
);
const [mine, reference] = contenders as [Contender, Contender];
if (mine.tokens !== reference.tokens)
  throw new Error(`token totals differ: ${mine.tokens} vs ${reference.tokens}`);
console.log(`ratio count-cl100k ${(reference.best / mine.best).toFixed(2)}`);
