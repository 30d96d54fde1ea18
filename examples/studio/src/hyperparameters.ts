import { z } from 'zod';

/** LoRA training settings: a project's (training tab) and the defaults for new projects (settings). */
export const hyperparametersSchema = z.object({
  learningRate: z.number().positive().max(1).default(0.002),
  batchSize: z.number().int().min(1).max(256).default(8),
  epochs: z.number().int().min(1).max(100).default(3),
  rank: z.number().int().min(1).max(256).default(8),
  alpha: z.number().positive().max(1024).default(16),
});
export type Hyperparameters = z.output<typeof hyperparametersSchema>;

/** The hyperparameter fields of a submitted form, as numbers (the schema checks them). */
export function hyperparametersFromForm(body: Readonly<Record<string, string | undefined>>) {
  return {
    learningRate: Number(body.learningRate),
    batchSize: Number(body.batchSize),
    epochs: Number(body.epochs),
    rank: Number(body.rank),
    alpha: Number(body.alpha),
  };
}
