import type { Llama } from 'node-llama-cpp';
import type { ModelConfig } from './config.js';
import type { Engine } from './engine.js';
import { LlamaEngine } from './llama-engine.js';
import { TypeScriptEngine } from './typescript-engine.js';

/** Loads the engine a model's config names (`llama.cpp` or `typescript`) with its adapters. */
export const loadEngine = (llama: Llama, model: ModelConfig): Promise<Engine> =>
  model.engine === 'typescript' ? TypeScriptEngine.load(model) : LlamaEngine.load(llama, model);
