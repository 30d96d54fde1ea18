export { AdamW, type AdamWOptions, clipGradientNorm } from './adamw.js';
export { type BackendName, selectBackend } from './backend.js';
export {
  type LstmConfig,
  type LstmConfigInput,
  type MiniGptConfig,
  type MiniGptConfigInput,
  parseLstmConfig,
  parseMiniGptConfig,
} from './config.js';
export { BackendUnavailableError, ConfigError, TrainingDivergedError, TransformerError } from './errors.js';
export { type Evaluation, evaluate } from './evaluate.js';
export { registerFastKernels, restoreTfjsKernels } from './fast-kernels.js';
export { type GeneratedToken, type GenerateOptions, generate, generateChat } from './generate.js';
export {
  type ForwardOptions,
  type IncrementalDecoder,
  type LanguageModel,
  parameterCount,
} from './language-model.js';
export { frozenLinear, linear } from './linear.js';
export { maskedCrossEntropy } from './loss.js';
export { LstmLm } from './lstm-lm.js';
export { type LstmSequenceResult, lstmSequence } from './lstm-sequence.js';
export { MiniGpt } from './mini-gpt.js';
export {
  loadNativeGemm,
  type NativeGemmStatus,
  nativeGemmStatus,
  useNativeGemm,
} from './native-gemm.js';
export { SeededRandom } from './random.js';
export { rmsNorm } from './rms-norm.js';
export { applyRope, ropeHeads, ropeTables } from './rope.js';
export { type SamplingOptions, sampleToken } from './sampling.js';
export { type LearningRateSchedule, learningRateAt } from './schedule.js';
export { arrayTokens, type Batch, disposeBatch, sampleBatch, type TokenSource } from './token-data.js';
export { Trainer, type TrainerOptions, type TrainingProgress, type TrainingState } from './trainer.js';
export { registerWasmTrainingKernels } from './wasm-kernels.js';
