export { baseModelHash } from './base-hash.js';
export {
  type ChatExample,
  chatDatasetHash,
  type PackedChats,
  packChats,
  parseChatJsonl,
  readChatJsonl,
  splitChats,
} from './chat-data.js';
export {
  AdapterFormatError,
  AdapterMismatchError,
  ChatDataError,
  LoraConfigError,
  LoraError,
  PickleAdapterError,
} from './errors.js';
export { type FineTuneOptions, type FineTuneReport, fineTune } from './fine-tune.js';
export { loadGgufAdapter, type SaveGgufAdapterOptions, saveGgufAdapter } from './gguf-adapter.js';
export { adaptedMatrices, LoraAdapter, type LoraPair } from './lora-adapter.js';
export {
  LORA_TARGETS,
  type LoraConfig,
  type LoraConfigInput,
  type LoraTarget,
  loraScaling,
  parseLoraConfig,
} from './lora-config.js';
export { LoraModel, type ScaledAdapter } from './lora-model.js';
export { mergeAdapter, unmergeAdapter } from './merge.js';
export { BASE_HASH_KEY, loadPeftAdapter, type SavePeftOptions, savePeftAdapter } from './peft-adapter.js';
export { AdapterRegistry, type RegistryEntry } from './registry.js';
