export {
  type ChatAnswer,
  ChatClient,
  type ChatClientOptions,
  type ChatRequest,
  type ClientMessage,
} from './chat-client.js';
export { type CurateOptions, type CurationResult, curateDataset } from './curate-dataset.js';
export { GenerationRequestError, MinCuratedError, SftError, TemplateError } from './errors.js';
export {
  type GenerateOptions,
  type GenerationItem,
  type GenerationProgress,
  generateDataset,
} from './generate-dataset.js';
export { JsonlAppender, readJsonl } from './jsonl-file.js';
export { DEFAULT_SYSTEM_PROMPT, DEFAULT_USER_TEMPLATE, renderTemplate } from './prompts.js';
export { itemsFromRag } from './rag-items.js';
export { type GeneratedRecord, type RejectedRecord, type SftSample, sftSampleSchema } from './sample.js';
export { type SplitShares, splitDataset } from './split-dataset.js';
