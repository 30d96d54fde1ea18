import { RagStore } from '@lm-stack/rag';
import type { GenerationItem } from './generate-dataset.js';

/**
 * Generation items grounded in a `@lm-stack/rag` database: one per chunk (in `documents` order, every
 * `stride`-th, at most `limit`), the topic from the document's title and headings, the chunk as context and
 * its `documents.id` as the source.
 *
 * @example
 * ```ts
 * const items = itemsFromRag('rag.db', { limit: 100 });
 * await generateDataset({ client, items, output: 'sft.jsonl', rejected: 'sft-rejected.jsonl' });
 * ```
 */
export function itemsFromRag(
  database: string,
  options: { limit?: number; stride?: number } = {},
): GenerationItem[] {
  const store = RagStore.open(database);
  try {
    const rows = store.db
      .prepare('SELECT id, chunk_text, metadata FROM documents WHERE (id - 1) % ? = 0 ORDER BY id LIMIT ?')
      .all(options.stride ?? 1, options.limit ?? 1_000_000) as {
      id: number;
      chunk_text: string;
      metadata: string;
    }[];
    return rows.map((row) => {
      const metadata = JSON.parse(row.metadata) as { title?: string; headings?: string[] };
      const topic = [metadata.title, ...(metadata.headings ?? [])].filter(Boolean).join(' — ') || 'this text';
      return { topic, context: row.chunk_text.trim(), sources: [row.id] };
    });
  } finally {
    store.close();
  }
}
