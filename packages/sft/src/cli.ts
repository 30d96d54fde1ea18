#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ChatClient } from './chat-client.js';
import { curateDataset } from './curate-dataset.js';
import { SftError } from './errors.js';
import { generateDataset } from './generate-dataset.js';
import { readJsonl } from './jsonl-file.js';
import { itemsFromRag } from './rag-items.js';
import type { GeneratedRecord } from './sample.js';
import { splitDataset } from './split-dataset.js';

const USAGE = `lm-sft: instruction/answer data from a helper model, curated and split.

  lm-sft generate --provider ollama|openai --model M [--base-url URL] (--topics topics.txt | --rag rag.db)
                  --out sft.jsonl [--n 100] [--concurrency 5] [--temperature 0.7] [--max-tokens 512]
                  [--max-instruction 2000] [--max-output 8000]   (characters; enforced in the JSON schema)
  lm-sft curate --in sft.jsonl --out curated.jsonl [--min-curated N] [--eval prompts.txt]
  lm-sft split --in curated.jsonl --prefix data/sft [--train 0.9 --val 0.1 --test 0]

The API key comes from LM_SFT_API_KEY or OPENAI_API_KEY (never from the command line, never written).
Rejected items go to <out without .jsonl>-rejected.jsonl with the reason; a rerun skips finished items.`;

const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      provider: { type: 'string', default: 'ollama' },
      model: { type: 'string' },
      'base-url': { type: 'string' },
      topics: { type: 'string' },
      rag: { type: 'string' },
      out: { type: 'string' },
      in: { type: 'string' },
      n: { type: 'string' },
      concurrency: { type: 'string', default: '5' },
      temperature: { type: 'string', default: '0.7' },
      'max-tokens': { type: 'string', default: '512' },
      'max-instruction': { type: 'string', default: '2000' },
      'max-output': { type: 'string', default: '8000' },
      'min-curated': { type: 'string', default: '0' },
      eval: { type: 'string' },
      prefix: { type: 'string' },
      train: { type: 'string', default: '0.9' },
      val: { type: 'string', default: '0.1' },
      test: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  if (command === 'generate') {
    if (!values.model || !values.out) throw new SftError('generate: --model and --out are required');
    if (values.provider !== 'ollama' && values.provider !== 'openai')
      throw new SftError(`--provider ${values.provider}: ollama or openai`);
    let items = values.rag
      ? itemsFromRag(values.rag)
      : values.topics
        ? lines(values.topics).map((topic) => ({ topic }))
        : undefined;
    if (!items) throw new SftError('generate: give --topics or --rag');
    if (values.n) {
      const n = Number(values.n);
      if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
        throw new SftError(`--n ${values.n}: an integer from 1`);
      // Cycle through the items; later rounds name their round so each prompt (and its key) is new.
      const base = items;
      items = Array.from({ length: n }, (_, i) => {
        const item = base[i % base.length]!;
        const round = Math.floor(i / base.length);
        return round === 0 ? item : { ...item, topic: `${item.topic} (${round + 1})` };
      });
    }
    const client = new ChatClient({
      provider: values.provider,
      model: values.model,
      baseURL: values['base-url'],
      apiKey: process.env.LM_SFT_API_KEY ?? process.env.OPENAI_API_KEY,
    });
    const rejected = `${values.out.replace(/\.jsonl$/, '')}-rejected.jsonl`;
    const controller = new AbortController();
    process.once('SIGINT', () =>
      controller.abort(new SftError('stopped: every sample written so far is kept')),
    );
    const started = performance.now();
    const progress = await generateDataset({
      client,
      items,
      output: values.out,
      rejected,
      concurrency: Number(values.concurrency),
      temperature: Number(values.temperature),
      maxTokens: Number(values['max-tokens']),
      maxInstructionLength: Number(values['max-instruction']),
      maxOutputLength: Number(values['max-output']),
      signal: controller.signal,
      onProgress: (state) => {
        if (!process.stderr.isTTY) return;
        const seconds = (performance.now() - started) / 1000;
        const rate = (state.done - state.skipped) / Math.max(seconds, 1e-3);
        const eta = rate > 0 ? (state.total - state.done) / rate : 0;
        process.stderr.write(
          `\r${state.done}/${state.total} samples, ${rate.toFixed(2)}/s, ETA ${eta.toFixed(0)} s, ${state.rejected} rejected   `,
        );
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(
      JSON.stringify(
        { ...progress, outputFile: values.out, rejectedFile: rejected, model: values.model },
        null,
        2,
      ),
    );
    return 0;
  }
  if (command === 'curate') {
    if (!values.in || !values.out) throw new SftError('curate: --in and --out are required');
    const samples = readJsonl<GeneratedRecord>(values.in);
    const { kept, dropped } = curateDataset(samples, {
      minCurated: Number(values['min-curated']),
      ...(values.eval ? { decontaminate: lines(values.eval) } : {}),
    });
    writeFileSync(values.out, kept.map((sample) => `${JSON.stringify(sample)}\n`).join(''));
    const models = new Map<string, number>();
    for (const sample of kept) models.set(sample.model, (models.get(sample.model) ?? 0) + 1);
    console.log(
      JSON.stringify(
        {
          read: samples.length,
          kept: kept.length,
          dropped: Object.fromEntries(dropped),
          byModel: Object.fromEntries(models),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  if (command === 'split') {
    if (!values.in || !values.prefix) throw new SftError('split: --in and --prefix are required');
    const splits = splitDataset(readJsonl<GeneratedRecord>(values.in), {
      train: Number(values.train),
      val: Number(values.val),
      test: Number(values.test),
    });
    for (const [name, samples] of Object.entries(splits))
      writeFileSync(
        `${values.prefix}-${name}.jsonl`,
        samples
          .map((sample) => `${JSON.stringify({ instruction: sample.instruction, output: sample.output })}\n`)
          .join(''),
      );
    console.log(
      Object.entries(splits)
        .map(([name, samples]) => `${values.prefix}-${name}.jsonl: ${samples.length}`)
        .join('\n'),
    );
    return 0;
  }
  throw new SftError(`unknown command "${command}"\n\n${USAGE}`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof SftError ? `lm-sft: ${error.message}` : error);
    process.exitCode = error instanceof SftError && error.name === 'MinCuratedError' ? 2 : 1;
  },
);
