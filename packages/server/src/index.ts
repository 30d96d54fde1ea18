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
export { loadEngine } from './load-engine.js';
export { createMcpServer, type McpToolbox } from './mcp-tools.js';
export { ServerMetrics } from './metrics.js';
export { ModelServer, type ModelServerOptions } from './model-server.js';
export {
  chatLogprob,
  completionLogprobs,
  logprobAt,
  MAX_TOP_LOGPROBS,
  type TokenChoice,
  type TokenLogprob,
} from './token-logprobs.js';
export { TypeScriptEngine } from './typescript-engine.js';
