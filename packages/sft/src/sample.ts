import { z } from 'zod';

/** An instruction/answer pair (Alpaca's fields), as the helper model must return it. */
export const sftSampleSchema = z.object({
  instruction: z.string().trim().min(1),
  output: z.string().trim().min(1),
});

/** A generated pair. */
export type SftSample = z.output<typeof sftSampleSchema>;

/** One line of the output JSONL: the pair and where it came from. */
export interface GeneratedRecord extends SftSample {
  /** sha256 over prompt, model and parameters: a rerun skips items whose key is already written. */
  readonly key: string;
  readonly model: string;
  /** `ollama` or `openai` (any OpenAI-compatible API). */
  readonly provider?: string;
  readonly topic?: string;
  /** Tokens of the request (repair round included) and its cost when the API reported one. */
  readonly usage?: {
    readonly promptTokens: number;
    readonly completionTokens: number;
    readonly cost?: number;
  };
  /** RAG chunk ids the context came from. */
  readonly sources?: readonly (string | number)[];
}

/** One line of the rejected JSONL: why an item produced no sample. */
export interface RejectedRecord {
  readonly key: string;
  readonly model: string;
  readonly topic?: string;
  readonly reason: 'schema' | 'request' | 'json';
  readonly detail: string;
  /** What the model answered last, when it answered. */
  readonly answer?: string;
}
