/**
 * Encode throughput on the shared 39.4 MB English corpus, one string per document, single thread:
 * ours against tiktoken (WASM) and gpt-tokenizer in one process. Ids are checked equal to tiktoken's.
 * Run: pnpm --filter @lm-stack/tokenizer bench
 */
import { get_encoding } from 'tiktoken';
import { readSharedCorpus } from '../../../scripts/shared-corpus.js';
import { BpeTokenizer } from '../src/index.js';

const documents = readSharedCorpus().map((document) => document.text);
const megabytes = documents.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / 1e6;

function throughput(encode: (text: string) => ArrayLike<number>): { mbPerSecond: number; tokens: number } {
  let tokens = 0;
  for (const text of documents.slice(0, 100)) encode(text); // JIT warm-up
  const start = performance.now();
  for (const text of documents) tokens += encode(text).length;
  return { mbPerSecond: megabytes / ((performance.now() - start) / 1000), tokens };
}

console.log(`corpus: ${documents.length} documents, ${megabytes.toFixed(1)} MB`);
const rows: Array<{ encoding: string; implementation: string; 'MB/s': string; tokens: number }> = [];
const ratios: string[] = [];
for (const [name, short] of [
  ['cl100k_base', 'cl100k'],
  ['o200k_base', 'o200k'],
] as const) {
  const ours = await BpeTokenizer.fromTiktoken(name);
  const reference = get_encoding(name);
  // Timed on a fresh instance (cold chunk cache), before the parity pass below warms anything.
  const theirs = throughput((text) => reference.encode(text));
  const mine = throughput((text) => ours.encode(text));
  let mismatches = 0;
  for (const text of documents) {
    const a = ours.encode(text);
    const b = reference.encode(text);
    if (a.length !== b.length || a.some((id, i) => id !== b[i])) mismatches++;
  }
  rows.push({
    encoding: name,
    implementation: 'tiktoken (wasm)',
    'MB/s': theirs.mbPerSecond.toFixed(2),
    tokens: theirs.tokens,
  });
  rows.push({
    encoding: name,
    implementation: '@lm-stack/tokenizer',
    'MB/s': mine.mbPerSecond.toFixed(2),
    tokens: mine.tokens,
  });
  if (name === 'cl100k_base') {
    const { encode } = await import('gpt-tokenizer/encoding/cl100k_base');
    const other = throughput((text) => encode(text, { disallowedSpecial: new Set() }));
    rows.push({
      encoding: name,
      implementation: 'gpt-tokenizer',
      'MB/s': other.mbPerSecond.toFixed(2),
      tokens: other.tokens,
    });
  }
  console.log(`${name}: documents whose ids differ from tiktoken: ${mismatches}`);
  ratios.push(`ratio encode-${short} ${(mine.mbPerSecond / theirs.mbPerSecond).toFixed(2)}`);
  reference.free();
}
console.table(rows);
for (const line of ratios) console.log(line);
