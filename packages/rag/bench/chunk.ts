/**
 * Chunking and ingest throughput on the shared 39.4 MB English corpus, single thread, LangChain.js's
 * RecursiveCharacterTextSplitter (@langchain/textsplitters) in the same process on the same text (best of
 * five alternating rounds on the whole corpus):
 *  - counting characters (its default; 2,048 characters ≈ 512 tokens, 200 overlap), and
 *  - counting cl100k tokens with our tokenizer as its lengthFunction (the same token-exact limit as ours),
 *    on the first 4 MB (it re-measures merged text over and over).
 * Then ingest (load + chunk + embed with the hashing embedder + store) of the corpus written as .txt files.
 * Run: pnpm --filter @lm-stack/rag bench
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { hasSharedCorpus, readSharedCorpus } from '../../../scripts/shared-corpus.js';
import { chunkText, HashingEmbedder, RagStore } from '../src/index.js';

if (!hasSharedCorpus) throw new Error('the benchmark reads ../shared/corpus/en.jsonl.gz');
const texts = readSharedCorpus().map((document) => document.text);
const megabytes = (list: string[]) => list.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / 1e6;
const total = megabytes(texts);
const subset: string[] = [];
for (const text of texts) if (megabytes(subset) < 4) subset.push(text);
const tokenizer = await BpeTokenizer.fromTiktoken('cl100k_base');

async function best(
  run: () => Promise<number> | number,
  rounds = 3,
): Promise<{ seconds: number; chunks: number }> {
  let seconds = Number.POSITIVE_INFINITY;
  let chunks = 0;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    chunks = await run();
    seconds = Math.min(seconds, (performance.now() - started) / 1000);
  }
  return { seconds, chunks };
}

// The whole corpus, ours and LangChain's character splitter in alternating rounds (the VM's speed drifts).
const byCharacters = new RecursiveCharacterTextSplitter({ chunkSize: 2048, chunkOverlap: 200 });
const oursAll = { seconds: Number.POSITIVE_INFINITY, chunks: 0 };
const langchainCharacters = { seconds: Number.POSITIVE_INFINITY, chunks: 0 };
for (let round = 0; round < 5; round++) {
  const ours = await best(
    () =>
      texts.reduce(
        (sum, text) => sum + chunkText(text, { tokenizer, chunkSize: 512, overlap: 50 }).length,
        0,
      ),
    1,
  );
  const theirs = await best(async () => {
    let chunks = 0;
    for (const text of texts) chunks += (await byCharacters.splitText(text)).length;
    return chunks;
  }, 1);
  if (ours.seconds < oursAll.seconds) Object.assign(oursAll, ours);
  if (theirs.seconds < langchainCharacters.seconds) Object.assign(langchainCharacters, theirs);
}
const oursSubset = await best(() =>
  subset.reduce((sum, text) => sum + chunkText(text, { tokenizer, chunkSize: 512, overlap: 50 }).length, 0),
);
const byTokens = new RecursiveCharacterTextSplitter({
  chunkSize: 512,
  chunkOverlap: 50,
  lengthFunction: (text: string) => tokenizer.encodeOrdinary(text).length,
});
const langchainTokens = await best(async () => {
  let chunks = 0;
  for (const text of subset) chunks += (await byTokens.splitText(text)).length;
  return chunks;
}, 1);

const root = mkdtempSync(join(tmpdir(), 'lm-stack-rag-bench-'));
mkdirSync(join(root, 'docs'));
for (const [i, text] of texts.entries())
  writeFileSync(join(root, 'docs', `${String(i).padStart(5, '0')}.txt`), text);
const store = RagStore.open(join(root, 'rag.db'), { embedder: new HashingEmbedder(256) });
const ingestStarted = performance.now();
const outcomes = await store.ingest([join(root, 'docs')], { tokenizer, tokenizerName: 'cl100k_base' });
const ingestSeconds = (performance.now() - ingestStarted) / 1000;
const stats = store.stats();
store.close();
rmSync(root, { recursive: true, force: true });

const rate = (mb: number, seconds: number) => (mb / seconds).toFixed(2);
console.table([
  {
    what: 'ours, cl100k tokens (512, overlap 50), 39.4 MB',
    'MB/s': rate(total, oursAll.seconds),
    chunks: oursAll.chunks,
  },
  {
    what: 'LangChain, characters (2,048, overlap 200), 39.4 MB',
    'MB/s': rate(total, langchainCharacters.seconds),
    chunks: langchainCharacters.chunks,
  },
  {
    what: 'ours, cl100k tokens, first 4 MB',
    'MB/s': rate(megabytes(subset), oursSubset.seconds),
    chunks: oursSubset.chunks,
  },
  {
    what: 'LangChain, cl100k tokens as lengthFunction, first 4 MB',
    'MB/s': rate(megabytes(subset), langchainTokens.seconds),
    chunks: langchainTokens.chunks,
  },
  {
    what: `ingest ${outcomes.length} .txt files (load, chunk, hashing embed, SQLite)`,
    'MB/s': rate(total, ingestSeconds),
    chunks: stats.chunks,
  },
]);
console.log(
  `ratio rag-chunk ${(langchainTokens.seconds / megabytes(subset) / (oursSubset.seconds / megabytes(subset))).toFixed(2)}`,
);
console.log(`ratio rag-chunk-characters ${(langchainCharacters.seconds / oursAll.seconds).toFixed(2)}`);
