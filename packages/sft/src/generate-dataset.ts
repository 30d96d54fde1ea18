import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ChatClient, ClientMessage } from './chat-client.js';
import { GenerationRequestError } from './errors.js';
import { JsonlAppender, readJsonl } from './jsonl-file.js';
import { DEFAULT_SYSTEM_PROMPT, DEFAULT_USER_TEMPLATE, renderTemplate } from './prompts.js';
import { type GeneratedRecord, type RejectedRecord, sftSampleSchema } from './sample.js';

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
}

/** The first JSON object in a model's answer (models wrap JSON in prose or fences despite being told). */
function parseJson(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) throw new SyntaxError('no JSON object in the answer');
  return JSON.parse(text.slice(start, end + 1));
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
    let answer = '';
    try {
      for (let round = 0; round < 2; round++) {
        const reply = await client.chat({
          messages,
          jsonSchema,
          ...parameters,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        counts.promptTokens += reply.promptTokens;
        counts.completionTokens += reply.completionTokens;
        answer = reply.text;
        let problem: string;
        try {
          const parsed = schema.safeParse(parseJson(answer));
          if (parsed.success) {
            const record: GeneratedRecord = {
              ...parsed.data,
              ...base,
              ...(item.sources ? { sources: item.sources } : {}),
            };
            output.append(record);
            counts.written++;
            return;
          }
          problem = parsed.error.issues
            .map((issue) => `${issue.path.join('.') || 'answer'}: ${issue.message}`)
            .join('; ');
        } catch (error) {
          problem = `not JSON (${(error as Error).message})`;
        }
        if (round === 1) {
          const record: RejectedRecord = {
            ...base,
            reason: problem.startsWith('not JSON') ? 'json' : 'schema',
            detail: problem,
            answer,
          };
          rejected.append(record);
          counts.rejected++;
          return;
        }
        // One repair prompt with the errors, then a counted rejection.
        messages.push(
          { role: 'assistant', content: answer },
          {
            role: 'user',
            content: `That answer is invalid: ${problem}. Answer again with only the JSON object {"instruction": "...", "output": "..."}.`,
          },
        );
      }
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (!(error instanceof GenerationRequestError)) throw error;
      const record: RejectedRecord = { ...base, reason: 'request', detail: error.message };
      rejected.append(record);
      counts.rejected++;
    }
  };

  let next = 0;
  const lanes = Array.from({ length: Math.max(1, options.concurrency ?? 5) }, async () => {
    while (next < work.length && !options.signal?.aborted) {
      const entry = work[next++]!;
      if (finished.has(entry.key)) counts.skipped++;
      else {
        finished.add(entry.key); // the same prompt twice in one run is asked once
        await one(entry);
      }
      counts.done++;
      report();
    }
  });
  try {
    await Promise.all(lanes);
  } finally {
    output.close();
    rejected.close();
  }
  options.signal?.throwIfAborted();
  return { ...counts };
}
