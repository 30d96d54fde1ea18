// A child process: chunks and stores a project's uploads in its RAG database (`@lm-stack/rag`), reporting
// each file to the studio over IPC. Killed mid-way, the database keeps only whole documents.
import { RagStore } from '@lm-stack/rag';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { studioEmbedder } from '../project.js';
import type { JobMessage } from './job-message.js';

const [uploads, database, chunkSize, overlap] = process.argv.slice(2);
const send = (message: JobMessage) => process.send?.(message);

try {
  const tokenizer = await BpeTokenizer.fromTiktoken('cl100k_base');
  const store = RagStore.open(database!, { embedder: studioEmbedder() });
  try {
    const outcomes = await store.ingest([uploads!], {
      tokenizer,
      tokenizerName: 'cl100k_base',
      chunkSize: Number(chunkSize),
      overlap: Number(overlap),
      onFile: (file, done, total) => {
        send({ type: 'progress', done, total });
        const name = file.filename.split('/').pop();
        send({
          type: 'log',
          text: `${name}: ${file.status}${file.error ? ` (${file.error})` : `, ${file.chunks} chunks`}`,
        });
      },
    });
    const stats = store.stats();
    const failed = outcomes.filter((outcome) => outcome.status === 'failed').length;
    send({
      type: 'done',
      summary: `${stats.sources} documents, ${stats.chunks} chunks in the database${failed ? `; ${failed} failed` : ''}`,
    });
  } finally {
    store.close();
  }
} catch (error) {
  send({ type: 'error', message: (error as Error).message });
  process.exitCode = 1;
}
