import { z } from 'zod';

/** What the studio passes to the SFT job (one JSON argument). */
export const sftJobInput = z.object({
  provider: z.union([z.literal('ollama'), z.literal('openai-compatible')]),
  baseUrl: z.string(),
  apiKey: z.string(),
  model: z.string().min(1),
  database: z.string(),
  output: z.string(),
  rejected: z.string(),
  systemPrompt: z.string(),
  userTemplate: z.string(),
  samples: z.number().int().min(1).max(1000),
  temperature: z.number().min(0).max(2),
  maxInstructionLength: z.number().int().min(20).max(2000),
  maxOutputLength: z.number().int().min(20).max(8000),
});
export type SftJobInput = z.output<typeof sftJobInput>;
