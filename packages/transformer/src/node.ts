export { syncFolder, writeFileAtomic } from './atomic-file.js';
export {
  CheckpointError,
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
  loadCheckpoint,
  type SaveCheckpointOptions,
  saveCheckpoint,
} from './checkpoint.js';
export { exportGguf, type GgufExportOptions, type GgufTensorTypes } from './export-gguf.js';
export { useWorkerThreads, workerThreadJobs } from './gemm-workers.js';
export { type HardwareReport, hardwareReport } from './hardware.js';
export {
  exportHuggingFace,
  HuggingFaceImportError,
  importHuggingFace,
  rotateHalfRows,
} from './hugging-face.js';
export { GgufImportError, importGguf } from './import-gguf.js';
export { llamaCppCpuReference } from './llama-cpp-reference.js';
export { type ModelfileOptions, modelfile, writeModelfile } from './modelfile.js';
export { shardTokens } from './shard-tokens.js';
