import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BpeTokenizer } from '@lm-stack/tokenizer';
import { writeFileAtomic } from './atomic-file.js';
import type { DocumentStream } from './document.js';
import { encodeInOrder } from './encode-pool.js';
import { CorpusOptionsError, EmptyCorpusError } from './errors.js';
import { sha256File, writeShard } from './token-shards.js';

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
  /** Worker threads that tokenize (0: this thread). Default 0. */
  readonly workers?: number;
  /**
   * Continue a run that was killed: shards listed in the progress file (and whose sha256 still matches)
   * are kept, and tokenizing resumes after the last of them. The result equals an unbroken run. Default true.
   */
  readonly resume?: boolean;
}

/** One written shard. */
export interface ShardEntry {
  readonly file: string;
  readonly tokens: number;
  readonly sha256: string;
}

/** What {@link packShards} wrote; the manifest file holds the same, written last. */
export interface ShardManifest {
  readonly format: 'llm.c';
  readonly tokenWidth: 'uint16' | 'uint32';
  readonly vocabSize: number;
  readonly documents: number;
  readonly tokens: number;
  readonly shards: ShardEntry[];
}

/** Where packing stands after a shard: the next document, and the next token of its BOS + text + EOS. */
interface PackPosition {
  readonly document: number;
  readonly token: number;
}

/** The progress file, rewritten atomically after every shard. */
interface PackProgress {
  readonly settings: string;
  readonly shards: ShardEntry[];
  readonly next: PackPosition;
}

/** Shards from an earlier run with the same settings whose files are intact, and where to go on. */
function resumeFrom(progressPath: string, directory: string, settings: string): PackProgress | undefined {
  if (!existsSync(progressPath)) return undefined;
  let progress: PackProgress;
  try {
    progress = JSON.parse(readFileSync(progressPath, 'utf8')) as PackProgress;
  } catch {
    return undefined;
  }
  if (progress.settings !== settings || !Array.isArray(progress.shards)) return undefined;
  const intact = progress.shards.every((shard) => {
    const path = join(directory, shard.file);
    return existsSync(path) && sha256File(path) === shard.sha256;
  });
  return intact ? progress : undefined;
}

async function* textsAfter(documents: DocumentStream, first: number): AsyncGenerator<string> {
  let index = 0;
  for await (const document of documents) if (index++ >= first) yield document.text;
}

/**
 * Tokenizes documents (plain text: special-token text inside them is not special), separates them with
 * BOS/EOS, and writes llm.c token shards of `shardTokens` tokens, each atomically, then a manifest with
 * per-shard token counts and sha256, written last so a manifest always describes complete shards.
 * After each shard a progress file records where packing stands, so a killed run resumes where it
 * stopped and produces the same shards as an unbroken run. `workers` moves tokenizing to worker threads.
 *
 * @example
 * ```ts
 * const manifest = await packShards(train, { tokenizer, directory: 'out', name: 'train', shardTokens: 1_000_000, eos: '<|endoftext|>', workers: 2 });
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
  // Temporary files of a killed run: never part of the output.
  for (const file of readdirSync(options.directory))
    if (file.startsWith(`${options.name}`) && file.endsWith('.partial'))
      rmSync(join(options.directory, file));
  const vocabSize = options.tokenizer.vocabSize;
  const width: 'uint16' | 'uint32' = vocabSize <= 65_536 ? 'uint16' : 'uint32';
  const progressPath = join(options.directory, `${options.name}.progress.json`);
  // A resumed run must tokenize exactly as the first one did.
  const tokenizerHash = createHash('sha256').update(JSON.stringify(options.tokenizer)).digest('hex');
  const settings = JSON.stringify([options.shardTokens, bos ?? null, eos, tokenizerHash]);
  const earlier =
    options.resume === false ? undefined : resumeFrom(progressPath, options.directory, settings);
  const shards: ShardEntry[] = [...(earlier?.shards ?? [])];
  const start: PackPosition = earlier?.next ?? { document: 0, token: 0 };
  const buffer = new Uint32Array(options.shardTokens);
  let filled = 0;
  const flush = (next: PackPosition) => {
    const file = `${options.name}_${String(shards.length).padStart(6, '0')}.bin`;
    const written = writeShard(join(options.directory, file), buffer.subarray(0, filled), vocabSize);
    shards.push({ file, tokens: filled, sha256: written.sha256 });
    filled = 0;
    const progress: PackProgress = { settings, shards, next };
    writeFileAtomic(progressPath, JSON.stringify(progress));
  };
  let document = start.document;
  for await (const ids of encodeInOrder(
    textsAfter(documents, start.document),
    options.tokenizer,
    options.workers ?? 0,
  )) {
    // The document's sequence: [BOS] ids EOS, from `token` on when resuming inside it.
    const sequence = new Uint32Array(ids.length + (bos === undefined ? 1 : 2));
    if (bos !== undefined) sequence[0] = bos;
    sequence.set(ids, bos === undefined ? 0 : 1);
    sequence[sequence.length - 1] = eos;
    let at = document === start.document ? start.token : 0;
    while (at < sequence.length) {
      const take = Math.min(sequence.length - at, buffer.length - filled);
      buffer.set(sequence.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled === buffer.length)
        flush(at === sequence.length ? { document: document + 1, token: 0 } : { document, token: at });
    }
    document++;
  }
  if (document === 0) throw new EmptyCorpusError('packShards');
  if (filled > 0) flush({ document, token: 0 });
  const manifest: ShardManifest = {
    format: 'llm.c',
    tokenWidth: width,
    vocabSize,
    documents: document,
    tokens: shards.reduce((sum, shard) => sum + shard.tokens, 0),
    shards,
  };
  writeFileAtomic(
    join(options.directory, `${options.name}.manifest.json`),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
  rmSync(progressPath, { force: true });
  return manifest;
}
