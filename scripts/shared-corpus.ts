import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** One document of `../shared/corpus/en.jsonl.gz` (see shared/README.md). */
export interface CorpusDocument {
  readonly id: string;
  readonly source: string;
  readonly group: string;
  readonly text: string;
}

/** Path of the shared English benchmark corpus, beside the repository. */
export const SHARED_CORPUS = fileURLToPath(new URL('../../shared/corpus/en.jsonl.gz', import.meta.url));

/** Whether the shared corpus is present (it is on developer machines and in CI). */
export const hasSharedCorpus = existsSync(SHARED_CORPUS);

let cached: CorpusDocument[] | undefined;

/** All documents of the shared corpus, read once per process (39.4 MB of text). */
export function readSharedCorpus(): CorpusDocument[] {
  if (cached) return cached;
  const lines = gunzipSync(readFileSync(SHARED_CORPUS)).toString('utf8').split('\n');
  cached = lines.filter((line) => line.length > 0).map((line) => JSON.parse(line) as CorpusDocument);
  return cached;
}
