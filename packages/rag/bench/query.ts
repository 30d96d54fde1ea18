/**
 * Retrieval on the shared corpus: 100k+ chunks (cl100k, 80 tokens, no overlap) in one store with the
 * hashing embedder; 300 documents each lose one sentence before ingest, and that held-out sentence is the
 * query. A hit is relevant when it comes from the document the sentence was taken from. Prints recall@5 and
 * query latency p50/p95 for BM25, vector and hybrid search.
 * Run: pnpm --filter @lm-stack/rag bench
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { seededRandom } from '../../../scripts/seeded-random.js';
import { hasSharedCorpus, readSharedCorpus } from '../../../scripts/shared-corpus.js';
import { HashingEmbedder, RagStore, type SearchMode } from '../src/index.js';

if (!hasSharedCorpus) throw new Error('the benchmark reads ../shared/corpus/en.jsonl.gz');
const documents = readSharedCorpus();
const random = seededRandom(19);
const root = mkdtempSync(join(tmpdir(), 'lm-stack-rag-query-'));
mkdirSync(join(root, 'docs'));
const questions: { query: string; file: string }[] = [];
const SENTENCE = /[^.!?\n]{60,240}[.!?]/g;
for (const [i, document] of documents.entries()) {
  const file = join(root, 'docs', `${String(i).padStart(5, '0')}.txt`);
  let text = document.text;
  if (questions.length < 300 && random() < 0.25) {
    const sentences = [...text.matchAll(SENTENCE)];
    if (sentences.length >= 5) {
      const chosen = sentences[Math.floor(sentences.length / 2)]!;
      questions.push({ query: chosen[0].trim(), file });
      text = text.slice(0, chosen.index) + text.slice(chosen.index + chosen[0].length);
    }
  }
  writeFileSync(file, text);
}
const tokenizer = await BpeTokenizer.fromTiktoken('cl100k_base');
const dimension = Number(process.env.LM_STACK_RAG_DIMENSION ?? 256);
const store = RagStore.open(join(root, 'rag.db'), { embedder: new HashingEmbedder(dimension) });
const started = performance.now();
await store.ingest([join(root, 'docs')], {
  tokenizer,
  tokenizerName: 'cl100k_base',
  chunkSize: 80,
  overlap: 0,
});
const ingestSeconds = (performance.now() - started) / 1000;
const stats = store.stats();
console.log(
  `${stats.chunks.toLocaleString('en-US')} chunks from ${stats.sources} files in ${ingestSeconds.toFixed(1)} s (hashing embedder, ${dimension} dimensions); ${questions.length} held-out sentences as queries`,
);

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))]!;
const rows = [];
for (const mode of ['bm25', 'vector', 'hybrid'] as SearchMode[]) {
  const latencies: number[] = [];
  let found = 0;
  for (const { query, file } of questions) {
    const begin = performance.now();
    const hits = await store.search(query, { mode, k: 5 });
    latencies.push(performance.now() - begin);
    if (hits.some((hit) => hit.filename === file)) found++;
  }
  rows.push({
    mode,
    'recall@5': (found / questions.length).toFixed(3),
    'p50 ms': percentile(latencies, 0.5).toFixed(1),
    'p95 ms': percentile(latencies, 0.95).toFixed(1),
  });
}
console.table(rows);
store.close();
rmSync(root, { recursive: true, force: true });
