export type { BpeDefinition } from './bpe-definition.js';
export {
  BpeTokenizerCore,
  type EncodeOptions,
  type SpecialTokenSet,
  type TokenWithOffset,
} from './bpe-tokenizer.js';
export { BYTE_TO_UNICODE, bytesToUnicode, unicodeToBytes } from './byte-unicode.js';
export {
  CHATML,
  type ChatMessage,
  type ChatTemplate,
  type OllamaTemplate,
  type RenderChatOptions,
  type RenderedChat,
  renderChat,
  toJinja,
  toOllamaTemplate,
} from './chat-template.js';
export {
  DisallowedSpecialTokenError,
  TokenizerError,
  TokenizerFormatError,
  TrainingOptionsError,
  UnknownTokenIdError,
  UnsupportedEncodingError,
} from './errors.js';
export {
  definitionFromGgufFields,
  GGUF_TOKEN_TYPE,
  type GgufTokenizerFields,
  type GgufTokenizerInput,
  type GgufTokenizerOptions,
} from './gguf-fields.js';
export type { HuggingFaceTokenizerJson } from './huggingface-format.js';
export type { OwnTokenizerJson } from './own-format.js';
export {
  LLAMA_CPP_PRE_TOKENIZER,
  PATTERN_SOURCES,
  type Pattern,
  type PatternName,
  toJsRegExp,
} from './patterns.js';
export { StreamingDecoder } from './streaming-decoder.js';
export type { TiktokenData, TiktokenEncodingName } from './tiktoken-ranks.js';
export { BpeTokenizer } from './tokenizer.js';
export type { TrainingProgress, TrainOptions } from './train.js';
export type { PreTokenPieces } from './wasm-pre-tokens.js';
