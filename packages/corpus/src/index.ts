export { type Contamination, decontaminate } from './decontaminate.js';
export type { CorpusDocument, DocumentStream } from './document.js';
export { WorkerError } from './encode-pool.js';
export {
  CorpusError,
  CorpusOptionsError,
  CorpusWriteError,
  EmptyCorpusError,
  ShardFormatError,
} from './errors.js';
export { contentKey, exactDedup } from './exact-dedup.js';
export {
  FetchError,
  type FetchErrorCode,
  type FetchedText,
  type FetchOptions,
  fetchText,
} from './fetch-url.js';
export { type ExcludedDocument, type FilterConfig, filterDocuments } from './filter-stage.js';
export { htmlToText } from './html-to-text.js';
export {
  type MinhashOptions,
  minhashDedup,
  minhashSignature,
  type NearDuplicate,
  shingles,
} from './minhash-dedup.js';
export { type PackOptions, packShards, type ShardEntry, type ShardManifest } from './pack.js';
export { type PipelineConfig, type PipelineResult, runPipeline } from './pipeline.js';
export { type PrepareOptions, prepare, prepareText } from './prepare.js';
export {
  c4Lines,
  type Exclusion,
  GOPHER_QUALITY,
  GOPHER_REPETITION,
  type GopherQualityLimits,
  gopherQuality,
  gopherRepetition,
  guessLanguage,
  words,
} from './quality-rules.js';
export { type ReadOptions, readDocuments } from './read-sources.js';
export { type SplitName, type SplitRatios, splitByGroup, splitOf } from './split.js';
export { PipelineReport, type StageCounts } from './stage-report.js';
export {
  openTokenShards,
  readShard,
  SHARD_FORMATS,
  type TokenShardSet,
  writeShard,
} from './token-shards.js';
