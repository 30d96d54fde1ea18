// The README's example: ingest a folder, search it three ways, pack a prompt's context.

import { formatContext, HashingEmbedder, RagStore } from '@lm-stack/rag';
import { BpeTokenizer } from '@lm-stack/tokenizer';

const folder = process.argv[2] ?? '/tmp/rag-demo';
const tokenizer = await BpeTokenizer.fromTiktoken('cl100k_base');
const store = RagStore.open(`${folder}.db`, { embedder: new HashingEmbedder(256) });
const outcomes = await store.ingest([folder], {
  tokenizer,
  tokenizerName: 'cl100k_base',
  chunkSize: 256,
  overlap: 32,
});
console.log(outcomes.map((outcome) => `${outcome.status} ${outcome.chunks}`).join(', '));

for (const mode of ['bm25', 'vector', 'hybrid'] as const) {
  const [best] = await store.search('a gale from the north', { mode, k: 3 });
  console.log(`${mode}: ${best?.metadata.title} p. ${best?.metadata.page}, score ${best?.score.toFixed(4)}`);
}
const hits = await store.search('what is stored in casks?', {
  k: 3,
  filter: { metadata: { format: 'docx' } },
});
console.log(formatContext(hits, { tokenizer, maxTokens: 200 }).text);
store.close();
