import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BpeTokenizer } from '@lm-stack/tokenizer';
import { writeFileAtomic } from './atomic-file.js';
import type { DocumentStream } from './document.js';
import { CorpusOptionsError, EmptyCorpusError } from './errors.js';
import { writeShard } from './token-shards.js';

/** Options of {@link packShards}. */
export interface PackOptions {
  readonly tokenizer: BpeTokenizer;
  /** Output folder; created if missing. */
  readonly directory: string;
  /** File name prefix, e.g. the split name: `train_000000.bin`, `train.manifest.json`. */
  readonly name: string;
  /** Tokens per shard (the last one may be shorter). */
  readonly shardTokens: number;
  /** Special token inserted after each document (its end). */
  readonly eos: string;
  /** Special token inserted before each document, if any. */
  readonly bos?: string;
}

/** What {@link packShards} wrote; the manifest file holds the same, written last. */
export interface ShardManifest {
  readonly format: 'llm.c';
  readonly tokenWidth: 'uint16' | 'uint32';
  readonly vocabSize: number;
  readonly documents: number;
  readonly tokens: number;
  readonly shards: Array<{ readonly file: string; readonly tokens: number; readonly sha256: string }>;
}

/**
 * Tokenizes documents (plain text: special-token text inside them is not special), separates them with
 * BOS/EOS, and writes llm.c token shards of `shardTokens` tokens, each atomically, then a manifest with
 * per-shard token counts and sha256, written last so a manifest always describes complete shards.
 *
 * @example
 * ```ts
 * const manifest = await packShards(train, { tokenizer, directory: 'out', name: 'train', shardTokens: 1_000_000, eos: '<|endoftext|>' });
 * ```
 */
export async function packShards(documents: DocumentStream, options: PackOptions): Promise<ShardManifest> {
  if (!Number.isSafeInteger(options.shardTokens) || options.shardTokens < 1)
    throw new CorpusOptionsError('shardTokens', options.shardTokens, 'must be a positive integer');
  const special = (text: string | undefined) => {
    if (text === undefined) return undefined;
    const id = options.tokenizer.specialTokens.get(text);
    if (id === undefined)
      throw new CorpusOptionsError('special token', text, 'is not a special token of the tokenizer');
    return id;
  };
  const eos = special(options.eos)!;
  const bos = special(options.bos);
  mkdirSync(options.directory, { recursive: true });
  const vocabSize = options.tokenizer.vocabSize;
  const shards: Array<{ file: string; tokens: number; sha256: string }> = [];
  let width: 'uint16' | 'uint32' = vocabSize <= 65_536 ? 'uint16' : 'uint32';
  let buffer = new Uint32Array(options.shardTokens);
  let filled = 0;
  let documentCount = 0;
  let total = 0;
  const flush = () => {
    const file = `${options.name}_${String(shards.length).padStart(6, '0')}.bin`;
    const written = writeShard(join(options.directory, file), buffer.subarray(0, filled), vocabSize);
    width = written.width;
    shards.push({ file, tokens: filled, sha256: written.sha256 });
    total += filled;
    filled = 0;
  };
  const push = (id: number) => {
    buffer[filled++] = id;
    if (filled === buffer.length) flush();
  };
  for await (const document of documents) {
    documentCount++;
    if (bos !== undefined) push(bos);
    for (const id of options.tokenizer.encodeOrdinary(document.text)) push(id);
    push(eos);
  }
  if (documentCount === 0) throw new EmptyCorpusError('packShards');
  if (filled > 0) flush();
  buffer = new Uint32Array(0);
  const manifest: ShardManifest = {
    format: 'llm.c',
    tokenWidth: width,
    vocabSize,
    documents: documentCount,
    tokens: total,
    shards,
  };
  writeFileAtomic(
    join(options.directory, `${options.name}.manifest.json`),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
  return manifest;
}
