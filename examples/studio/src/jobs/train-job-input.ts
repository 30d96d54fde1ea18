import { z } from 'zod';

/** What the studio passes to the training job (its first IPC message). */
export const trainJobInput = z.object({
  /** Our GGUF (a MiniGPT exported by lm-stack): the frozen base. */
  base: z.string(),
  samples: z.string(),
  runDirectory: z.string(),
  finalFolder: z.string(),
  learningRate: z.number().positive().max(1),
  batchSize: z.number().int().min(1).max(256),
  epochs: z.number().int().min(1).max(100),
  rank: z.number().int().min(1).max(256),
  alpha: z.number().positive().max(1024),
  quantization: z.union([z.literal('F32'), z.literal('Q8_0'), z.literal('Q4_0')]),
  gguf: z.boolean(),
  peft: z.boolean(),
  modelfile: z.boolean(),
  /** The plain tfjs CPU backend instead of WebAssembly. */
  forceCpu: z.boolean(),
});
export type TrainJobInput = z.output<typeof trainJobInput>;
