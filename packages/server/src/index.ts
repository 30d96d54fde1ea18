export { authenticate, authorize, type Caller, hashApiKey } from './auth.js';
export {
  type AdapterConfig,
  type ModelConfig,
  type ServerConfig,
  type ServerConfigInput,
  serverConfigSchema,
} from './config.js';
export { loadConfigFile, parseConfig, watchConfigFile } from './config-file.js';
export type { ChatMessage, Engine, GenerationParams, GenerationResult } from './engine.js';
export { ApiError, ConfigError, ServerError } from './errors.js';
export { Limiter } from './limiter.js';
export { LlamaEngine } from './llama-engine.js';
export { ServerMetrics } from './metrics.js';
export { ModelServer, type ModelServerOptions } from './model-server.js';
