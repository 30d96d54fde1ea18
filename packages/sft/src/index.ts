export {
  type AnswerSide,
  buildPreferencePairs,
  type PreferencePairCounts,
  type PreferencePairOptions,
} from './ab-pairs.js';
export {
  type ChatAnswer,
  ChatClient,
  type ChatClientOptions,
  type ChatRequest,
  type ClientMessage,
} from './chat-client.js';
export { forEachConcurrently } from './concurrent-lanes.js';
export { type CurateOptions, type CurationResult, curateDataset, type DropReason } from './curate-dataset.js';
export { type CurationSummary, curationSummary, type ModelTotals } from './curation-summary.js';
export {
  asRecord,
  formatSample,
  parseMessages,
  parseSample,
  readTrainingPairs,
  SAMPLE_FORMATS,
  type SampleFormat,
  type TrainingPair,
  toConversation,
} from './dataset-format.js';
export {
  DatasetFormatError,
  GateError,
  GenerationRequestError,
  MinCuratedError,
  SftError,
  TemplateError,
} from './errors.js';
export { evalGate, type GateInputs, type GateThresholds } from './eval-gate.js';
export {
  type GenerateOptions,
  type GenerationItem,
  type GenerationProgress,
  generateDataset,
} from './generate-dataset.js';
export { JsonlAppender, readJsonl, writeJsonlAtomic } from './jsonl-file.js';
export {
  comparePair,
  DEFAULT_RUBRIC,
  JUDGE_SYSTEM_PROMPT,
  type PairVerdict,
  type Score,
  scoreAnswer,
  scoreSchema,
} from './judge.js';
export {
  type JudgeDatasetOptions,
  type JudgedRecord,
  type JudgeSummary,
  judgeDataset,
  summarizeScores,
} from './judge-dataset.js';
export {
  fromLabelStudioExport,
  LABEL_STUDIO_PAIRWISE_CONFIG,
  type LabelStudioImport,
  type PairwiseCandidate,
  toLabelStudioTasks,
} from './label-studio.js';
export {
  formatPreference,
  type PreferencePair,
  pairsFromScores,
  parsePreference,
} from './preference-pair.js';
export { DEFAULT_SYSTEM_PROMPT, DEFAULT_USER_TEMPLATE, renderTemplate } from './prompts.js';
export { itemsFromRag } from './rag-items.js';
export { type GeneratedRecord, type RejectedRecord, type SftSample, sftSampleSchema } from './sample.js';
export { type SplitShares, splitDataset } from './split-dataset.js';
export {
  askForJson,
  firstJsonObject,
  type StructuredAnswer,
  type StructuredRequestOptions,
} from './structured-answer.js';
