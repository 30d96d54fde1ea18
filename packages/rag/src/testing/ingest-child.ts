// Ingests a folder into a store, printing each finished file: the kill -9 test's child process.
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { HashingEmbedder } from '../hashing-embedder.js';
import { RagStore } from '../rag-store.js';

const [database, folder] = process.argv.slice(2);
const tokenizer = await BpeTokenizer.fromTiktoken('cl100k_base');
const store = RagStore.open(database!, { embedder: new HashingEmbedder(64) });
await store.ingest([folder!], {
  tokenizer,
  tokenizerName: 'cl100k_base',
  chunkSize: 32,
  overlap: 4,
  onFile: (outcome) => console.log(`${outcome.status} ${outcome.filename}`),
});
store.close();
