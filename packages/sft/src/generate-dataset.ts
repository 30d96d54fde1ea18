import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ChatClient, ClientMessage } from './chat-client.js';
import { forEachConcurrently } from './concurrent-lanes.js';
import { GenerationRequestError } from './errors.js';
import { JsonlAppender, readJsonl } from './jsonl-file.js';
import { DEFAULT_SYSTEM_PROMPT, DEFAULT_USER_TEMPLATE, renderTemplate } from './prompts.js';
import { type GeneratedRecord, type RejectedRecord, sftSampleSchema } from './sample.js';
import { askForJson } from './structured-answer.js';

/** How the repair prompt shows the expected answer. */
const SAMPLE_EXAMPLE = '{"instruction": "...", "output": "..."}';

/** What to write a sample about: a topic, and optionally retrieved context with its chunk ids. */
export interface GenerationItem {
  readonly topic: string;
  readonly context?: string;
  readonly sources?: readonly (string | number)[];
}

/** Options of {@link generateDataset}. */
export interface GenerateOptions {
  readonly client: ChatClient;
  readonly items: readonly GenerationItem[];
  /** Samples, appended (JSONL, fsynced per line). */
  readonly output: string;
  /** Items that produced no sample, with the reason (JSONL). */
  readonly rejected: string;
  readonly systemPrompt?: string;
  /** With `{topic}`, `{context}` and `{n}` (the item's number). */
  readonly userTemplate?: string;
  /** Requests at once. Default 5. */
  readonly concurrency?: number;
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** Longest instruction and answer accepted, in characters (sent in the JSON schema too). Defaults 2,000 and 8,000. */
  readonly maxInstructionLength?: number;
  readonly maxOutputLength?: number;
  /** Stops new requests; every finished sample is already on disk. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: GenerationProgress) => void;
}

/** Counts as generation goes. */
export interface GenerationProgress {
  readonly done: number;
  readonly total: number;
  readonly written: number;
  readonly rejected: number;
  readonly skipped: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Summed cost of the requests whose API reported one (0 when none did). */
  readonly cost: number;
}

/**
 * Asks the helper model for one instruction/answer pair per item, `concurrency` at a time, and appends each
 * valid pair to `output` as it arrives (fsynced). An answer that is not JSON or fails the schema gets one
 * repair prompt with the errors; if that fails too the item goes to `rejected` with its reason — so every
 * item ends written once or rejected once. A rerun skips items whose key (sha256 of prompt, model and
 * parameters) is in either file, so a killed run resumes losing only the requests in flight.
 *
 * @example
 * ```ts
 * const client = new ChatClient({ provider: 'ollama', model: 'llama3.2' });
 * const progress = await generateDataset({ client, items: topics.map((topic) => ({ topic })), output: 'sft.jsonl', rejected: 'sft-rejected.jsonl' });
 * console.log(`${progress.written}/${progress.total} samples`);
 * ```
 */
export async function generateDataset(options: GenerateOptions): Promise<GenerationProgress> {
  const { client, items } = options;
  const system = options.systemPrompt ?? DEFAULT_SYSTEM_PROMPT;
  const template = options.userTemplate ?? DEFAULT_USER_TEMPLATE;
  const parameters = { temperature: options.temperature ?? 0.7, maxTokens: options.maxTokens ?? 512 };
  const schema = sftSampleSchema.extend({
    instruction: sftSampleSchema.shape.instruction.max(options.maxInstructionLength ?? 2000),
    output: sftSampleSchema.shape.output.max(options.maxOutputLength ?? 8000),
  });
  const jsonSchema = z.toJSONSchema(schema) as Record<string, unknown>;
  const finished = new Set<string>();
  for (const record of readJsonl<{ key: string }>(options.output)) finished.add(record.key);
  for (const record of readJsonl<{ key: string }>(options.rejected)) finished.add(record.key);
  const output = new JsonlAppender(options.output);
  const rejected = new JsonlAppender(options.rejected);
  const counts = {
    done: 0,
    total: items.length,
    written: 0,
    rejected: 0,
    skipped: 0,
    promptTokens: 0,
    completionTokens: 0,
    cost: 0,
  };
  const report = () => options.onProgress?.({ ...counts });

  const work = items.map((item, index) => {
    const prompt = renderTemplate(template, {
      topic: item.topic,
      context: item.context ?? '(none: use what you know)',
      n: index + 1,
    });
    const key = createHash('sha256')
      .update(JSON.stringify([system, prompt, client.model, parameters]))
      .digest('hex');
    return { item, prompt, key };
  });
  const one = async ({ item, prompt, key }: (typeof work)[number]) => {
    const base = { key, model: client.model, topic: item.topic };
    const messages: ClientMessage[] = [
      { role: 'system', content: system },
      { role: 'user', content: prompt },
    ];
    try {
      const result = await askForJson(client, messages, schema, jsonSchema, SAMPLE_EXAMPLE, {
        ...parameters,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      counts.promptTokens += result.promptTokens;
      counts.completionTokens += result.completionTokens;
      counts.cost += result.cost ?? 0;
      if (result.ok) {
        const record: GeneratedRecord = {
          ...result.value,
          ...base,
          provider: client.options.provider,
          usage: {
            promptTokens: result.promptTokens,
            completionTokens: result.completionTokens,
            ...(result.cost !== undefined ? { cost: result.cost } : {}),
          },
          ...(item.sources ? { sources: item.sources } : {}),
        };
        output.append(record);
        counts.written++;
      } else {
        const record: RejectedRecord = {
          ...base,
          reason: result.reason,
          detail: result.detail,
          answer: result.answer,
        };
        rejected.append(record);
        counts.rejected++;
      }
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (!(error instanceof GenerationRequestError)) throw error;
      const record: RejectedRecord = { ...base, reason: 'request', detail: error.message };
      rejected.append(record);
      counts.rejected++;
    }
  };

  const lanes = forEachConcurrently(work, options.concurrency ?? 5, options.signal, async (entry) => {
    if (finished.has(entry.key)) counts.skipped++;
    else {
      finished.add(entry.key); // the same prompt twice in one run is asked once
      await one(entry);
    }
    counts.done++;
    report();
  });
  try {
    await lanes;
  } finally {
    output.close();
    rejected.close();
  }
  options.signal?.throwIfAborted();
  return { ...counts };
}
