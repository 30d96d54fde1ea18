export { type ByteSource, bufferSource, fileSource } from './byte-source.js';
export { GgufError, type GgufErrorCode, GgufWriteError } from './errors.js';
export { GGML_TYPE_INFO, ggmlTypeId } from './ggml-type-table.js';
export {
  DEFAULT_GGUF_LIMITS,
  type GgufFile,
  type GgufLimits,
  type GgufTensorInfo,
  parseGguf,
  readGguf,
  readGgufTensorData,
} from './gguf-reader.js';
export {
  type GgufTensorDeclaration,
  GgufWriter,
  type GgufWriterOptions,
  type GgufWriterState,
} from './gguf-writer.js';
export { type LlamaHyperparameters, llamaMetadata } from './llama-metadata.js';
export { GGUF_VALUE_TYPE, type GgufScalarType, type GgufValue } from './values.js';
