// A child process: generates SFT samples with `@lm-stack/sft` from the project's RAG chunks, appending each
// sample as it arrives (fsynced). Stopped mid-way, what was written stays; a rerun skips it.
import { ChatClient, generateDataset, itemsFromRag } from '@lm-stack/sft';
import type { JobMessage } from './job-message.js';
import { type SftJobInput, sftJobInput } from './sft-job-input.js';

const send = (message: JobMessage) => process.send?.(message);

try {
  // The studio sends the input as the first IPC message (it holds the API key).
  const message = await new Promise<{ input?: unknown }>((resolve) => process.once('message', resolve));
  const input: SftJobInput = sftJobInput.parse(message.input);
  const client = new ChatClient({
    provider: input.provider === 'ollama' ? 'ollama' : 'openai',
    model: input.model,
    baseURL: input.baseUrl,
    ...(input.apiKey ? { apiKey: input.apiKey } : {}),
    attempts: 3,
  });
  const items = itemsFromRag(input.database, { limit: input.samples });
  if (items.length === 0) throw new Error('the database holds no chunks: process documents first');
  send({
    type: 'log',
    text: `${items.length} items from ${input.database.split('/').pop()}, model ${input.model}`,
  });
  const progress = await generateDataset({
    client,
    items,
    output: input.output,
    rejected: input.rejected,
    systemPrompt: input.systemPrompt,
    userTemplate: input.userTemplate,
    temperature: input.temperature,
    concurrency: 2,
    maxInstructionLength: input.maxInstructionLength,
    maxOutputLength: input.maxOutputLength,
    // Room for both texts at two characters a token (small byte-level vocabularies) and the JSON around them.
    maxTokens: Math.ceil((input.maxInstructionLength + input.maxOutputLength) / 2) + 48,
    onProgress: (state) => {
      send({ type: 'progress', done: state.done, total: state.total });
      send({
        type: 'log',
        text: `${state.done}/${state.total}: ${state.written} written, ${state.rejected} rejected`,
      });
    },
  });
  send({
    type: 'done',
    summary: `${progress.written} samples written, ${progress.rejected} rejected, ${progress.skipped} already there`,
  });
} catch (error) {
  send({ type: 'error', message: (error as Error).message });
  process.exitCode = 1;
}
