import { z } from 'zod';

/** A project's job as `logs/job.json` records it and the pages show it. */
export const jobStateSchema = z.object({
  kind: z.string(),
  status: z.union([z.literal('running'), z.literal('done'), z.literal('failed'), z.literal('cancelled')]),
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  log: z.array(z.string()),
  /** Training loss per step (training jobs). */
  losses: z.array(z.number()).default([]),
  summary: z.string(),
  started: z.string(),
  finished: z.string().optional(),
});
export type JobState = z.output<typeof jobStateSchema>;
