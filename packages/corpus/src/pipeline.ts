import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { decontaminate } from './decontaminate.js';
import type { CorpusDocument, DocumentStream } from './document.js';
import { EmptyCorpusError } from './errors.js';
import { exactDedup } from './exact-dedup.js';
import { type FilterConfig, filterDocuments } from './filter-stage.js';
import { JsonlWriter } from './jsonl-writer.js';
import { type MinhashOptions, minhashDedup } from './minhash-dedup.js';
import { type PackOptions, packShards, type ShardManifest } from './pack.js';
import { type PrepareOptions, prepare } from './prepare.js';
import { type ReadOptions, readDocuments } from './read-sources.js';
import { type SplitName, type SplitRatios, splitOf } from './split.js';
import { PipelineReport, type StageCounts } from './stage-report.js';

/** Everything {@link runPipeline} does, as data: the same config always gives the same output. */
export interface PipelineConfig {
  /** Files, folders, globs and URLs (see {@link readDocuments}). */
  readonly inputs: readonly string[];
  /** Where outputs, logs and the stage records go. */
  readonly directory: string;
  readonly read?: Omit<ReadOptions, 'onSkip' | 'onInvalidUtf8'>;
  /** `false` skips it. */
  readonly prepare?: PrepareOptions | false;
  /** `false` skips it. */
  readonly filter?: FilterConfig | false;
  /** Default true. */
  readonly exactDedup?: boolean;
  /** `false` skips it. */
  readonly minhash?: MinhashOptions | false;
  /** Default: by `group`, 0.9 / 0.05 / 0.05. */
  readonly split?: {
    readonly ratios?: SplitRatios;
    readonly by?: 'group' | 'source';
    readonly seed?: string;
  };
  /** Remove training documents sharing an n-gram with validation/test. Default off. */
  readonly decontaminate?: { readonly ngram?: number } | false;
  /** Pack each split into token shards under `shards/`; leave out to stop at the JSONL splits. */
  readonly pack?: Omit<PackOptions, 'directory' | 'name' | 'resume'>;
  /** One line per event: a stage starting, skipped as already done, or finished. */
  readonly onProgress?: (message: string) => void;
}

/** What {@link runPipeline} produced; `report.json` and `report.txt` hold the same. */
export interface PipelineResult {
  /** JSONL file of each split (`documents/<split>.jsonl`) and its document count. */
  readonly splits: Record<SplitName, { readonly path: string; readonly documents: number }>;
  readonly manifests: Partial<Record<SplitName, ShardManifest>>;
  /** Stages found complete from an earlier run and not redone. */
  readonly resumed: string[];
  readonly report: StageCounts[];
  readonly summary: string;
}

const SPLITS: readonly SplitName[] = ['train', 'validation', 'test'];

/** A stage's completion record: the key of everything it depends on, and what it measured. */
interface StageRecord {
  readonly key: string;
  readonly report: StageCounts[];
  readonly data: unknown;
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

async function* documentsOf(path: string): AsyncGenerator<CorpusDocument> {
  // Our own JSONL: any line the reader skipped would be a bug, so it fails loudly.
  yield* readDocuments([path], {
    maxDocumentBytes: Number.MAX_SAFE_INTEGER,
    onSkip: (where, reason) => {
      throw new Error(`${where}: ${reason}`);
    },
  });
}

/**
 * Runs the whole corpus pipeline with one config: read → prepare → filter → exact dedup → near-dedup →
 * split (written as JSONL) → optional decontamination → optional packing into token shards, with every
 * skipped input, excluded document and duplicate logged under `log/`, a JSON report and a short summary.
 *
 * Each stage records its completion (`stages/<name>.json`, with a hash of its config and inputs), so a
 * rerun skips finished stages, and a run killed mid-stage redoes only that stage — its outputs appear
 * only when complete, so nothing is duplicated or lost; packing resumes shard by shard.
 *
 * @example
 * ```ts
 * const result = await runPipeline({
 *   inputs: ['my-texts/**\/*.txt'],
 *   directory: 'corpus-out',
 *   pack: { tokenizer, shardTokens: 1_000_000, eos: '<|endoftext|>' },
 * });
 * console.log(result.summary);
 * ```
 */
export async function runPipeline(config: PipelineConfig): Promise<PipelineResult> {
  const progress = config.onProgress ?? (() => undefined);
  for (const folder of ['documents', 'log', 'stages', 'shards'])
    mkdirSync(join(config.directory, folder), { recursive: true });
  const report = new PipelineReport();
  const resumed: string[] = [];
  const stage = async <T>(
    name: string,
    key: string,
    run: () => Promise<{ data: T; report: StageCounts[] }>,
  ) => {
    const recordPath = join(config.directory, 'stages', `${name}.json`);
    if (existsSync(recordPath)) {
      const record = JSON.parse(readFileSync(recordPath, 'utf8')) as StageRecord;
      if (record.key === key) {
        progress(`${name}: already done, skipped`);
        resumed.push(name);
        report.restore(record.report);
        return record.data as T;
      }
    }
    progress(`${name}: running`);
    const result = await run();
    report.restore(result.report);
    writeFileAtomic(
      recordPath,
      JSON.stringify({ key, report: result.report, data: result.data } satisfies StageRecord),
    );
    progress(`${name}: done`);
    return result.data;
  };

  const splitPath = (split: SplitName, suffix = '') =>
    join(config.directory, 'documents', `${split}${suffix}.jsonl`);
  const cleanKey = hashOf({
    inputs: config.inputs,
    read: config.read ?? {},
    prepare: config.prepare ?? {},
    filter: config.filter ?? {},
    exactDedup: config.exactDedup ?? true,
    minhash: config.minhash ?? {},
    split: config.split ?? {},
  });
  const counts = await stage('clean', cleanKey, () => clean(config, splitPath));

  let trainPath = splitPath('train');
  let decontaminateKey = cleanKey;
  if (config.decontaminate) {
    const options = config.decontaminate;
    decontaminateKey = hashOf({ cleanKey, decontaminate: options });
    const kept = await stage('decontaminate', decontaminateKey, async () => {
      const stageReport = new PipelineReport();
      const heldOut: CorpusDocument[] = [];
      for (const split of ['validation', 'test'] as const)
        for await (const document of documentsOf(splitPath(split))) heldOut.push(document);
      const log = new JsonlWriter(join(config.directory, 'log', 'contaminated.jsonl'));
      const writer = new JsonlWriter(splitPath('train', '.decontaminated'));
      for await (const document of stageReport.measure(
        'decontaminate',
        decontaminate(documentsOf(splitPath('train')), heldOut, options, (removed) => {
          log.write(removed);
          stageReport.reason('decontaminate', 'shared n-gram');
        }),
      ))
        writer.write(document);
      writer.commit();
      log.commit();
      return { data: writer.documents, report: stageReport.toJSON() };
    });
    counts.train = kept;
    trainPath = splitPath('train', '.decontaminated');
  }

  const manifests: Partial<Record<SplitName, ShardManifest>> = {};
  if (config.pack) {
    const pack = config.pack;
    const packKey = hashOf({
      decontaminateKey,
      shardTokens: pack.shardTokens,
      eos: pack.eos,
      bos: pack.bos ?? null,
      tokenizer: hashOf(pack.tokenizer),
    });
    Object.assign(
      manifests,
      await stage('pack', packKey, async () => {
        const written: Partial<Record<SplitName, ShardManifest>> = {};
        const stageReport = new PipelineReport();
        for (const split of SPLITS) {
          if (counts[split] === 0) continue;
          const source = split === 'train' ? trainPath : splitPath(split);
          written[split] = await packShards(stageReport.measure(`pack-${split}`, documentsOf(source)), {
            ...pack,
            directory: join(config.directory, 'shards'),
            name: split,
            resume: true,
          });
        }
        return { data: written, report: stageReport.toJSON() };
      }),
    );
  }

  const splits = Object.fromEntries(
    SPLITS.map((split) => [
      split,
      { path: split === 'train' ? trainPath : splitPath(split), documents: counts[split] },
    ]),
  ) as PipelineResult['splits'];
  const result: PipelineResult = {
    splits,
    manifests,
    resumed,
    report: report.toJSON(),
    summary: report.summary(),
  };
  writeFileAtomic(join(config.directory, 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileAtomic(join(config.directory, 'report.txt'), `${result.summary}\n`);
  return result;
}

/** The clean stage: everything up to the split files, streamed, with the logs. */
async function clean(
  config: PipelineConfig,
  splitPath: (split: SplitName) => string,
): Promise<{ data: Record<SplitName, number>; report: StageCounts[] }> {
  const report = new PipelineReport();
  const log = (name: string) => new JsonlWriter(join(config.directory, 'log', `${name}.jsonl`));
  const logs = { skipped: log('skipped'), excluded: log('excluded'), duplicates: log('duplicates') };
  const writers = new Map(SPLITS.map((split) => [split, new JsonlWriter(splitPath(split))]));
  try {
    let stream: DocumentStream = report.measure(
      'read',
      readDocuments(config.inputs, {
        ...config.read,
        onSkip: (where, reason) => {
          logs.skipped.write({ where, reason });
          report.reason('read', 'skipped');
        },
        onInvalidUtf8: (where, replacements) => logs.skipped.write({ where, invalidUtf8: replacements }),
      }),
    );
    if (config.prepare !== false) stream = report.measure('prepare', prepare(stream, config.prepare || {}));
    if (config.filter !== false) {
      const filtered = filterDocuments(stream, config.filter || {}, (excluded) => {
        logs.excluded.write(excluded);
        report.reason('filter', excluded.rule);
      });
      stream = report.measure('filter', filtered);
    }
    if (config.exactDedup !== false) {
      const deduplicated = exactDedup(stream, (dropped, firstId) => {
        logs.duplicates.write({ id: dropped.id, duplicateOf: firstId, kind: 'exact' });
        report.reason('exact-dedup', 'exact duplicate');
      });
      stream = report.measure('exact-dedup', deduplicated);
    }
    if (config.minhash !== false) {
      const near = minhashDedup(stream, config.minhash || {}, (found) => {
        logs.duplicates.write({
          id: found.dropped,
          duplicateOf: found.keptId,
          similarity: found.similarity,
          kind: 'near',
        });
        report.reason('minhash-dedup', 'near duplicate');
      });
      stream = report.measure('minhash-dedup', near);
    }
    const ratios = config.split?.ratios ?? { train: 0.9, validation: 0.05, test: 0.05 };
    let total = 0;
    for await (const document of stream) {
      const unit = config.split?.by === 'source' ? document.source : document.group;
      writers.get(splitOf(unit, ratios, config.split?.seed))!.write(document);
      total++;
    }
    if (total === 0) throw new EmptyCorpusError('runPipeline (nothing left after cleaning)');
    for (const writer of [...writers.values(), ...Object.values(logs)]) writer.commit();
  } catch (error) {
    for (const writer of [...writers.values(), ...Object.values(logs)]) writer.abort();
    throw error;
  }
  const data = Object.fromEntries(SPLITS.map((split) => [split, writers.get(split)!.documents])) as Record<
    SplitName,
    number
  >;
  return { data, report: report.toJSON() };
}
