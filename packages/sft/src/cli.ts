#!/usr/bin/env node
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildPreferencePairs } from './ab-pairs.js';
import { ChatClient } from './chat-client.js';
import { curateDataset } from './curate-dataset.js';
import { curationSummary } from './curation-summary.js';
import { formatSample, readTrainingPairs, SAMPLE_FORMATS, type SampleFormat } from './dataset-format.js';
import { GateError, MinCuratedError, SftError } from './errors.js';
import { evalGate } from './eval-gate.js';
import { generateDataset } from './generate-dataset.js';
import { readJsonl, writeJsonlAtomic } from './jsonl-file.js';
import { type JudgedRecord, judgeDataset } from './judge-dataset.js';
import { fromLabelStudioExport, LABEL_STUDIO_PAIRWISE_CONFIG, toLabelStudioTasks } from './label-studio.js';
import { formatPreference, pairsFromScores, parsePreference } from './preference-pair.js';
import { itemsFromRag } from './rag-items.js';
import { splitDataset } from './split-dataset.js';

const USAGE = `lm-sft: instruction/answer data from a helper model, curated and split.

  lm-sft generate --provider ollama|openai --model M [--base-url URL] (--topics topics.txt | --rag rag.db)
                  --out sft.jsonl [--n 100] [--concurrency 5] [--temperature 0.7] [--max-tokens 512]
                  [--max-instruction 2000] [--max-output 8000]   (characters; enforced in the JSON schema)
  lm-sft curate --in sft.jsonl --out curated.jsonl [--min-curated N] [--eval prompts.txt] [--language en]
                [--no-near-duplicates] [--min-length 16 --max-length 8000]
  lm-sft split --in curated.jsonl --prefix data/sft [--train 0.9 --val 0.1 --test 0]
               [--format alpaca|messages|prompt-completion]
  lm-sft judge --in samples.jsonl --out judged.jsonl --provider P --model JUDGE [--base-url URL] [--rubric rubric.txt]
  lm-sft pairs --in samples.jsonl --out pairs.jsonl --provider P --model-a A --model-b B --judge-model J
               [--temperature-a 0.7 --temperature-b 0.7]        (A/B answers, judged in both orders)
  lm-sft pairs --from-scores judged.jsonl --out pairs.jsonl [--margin 1]
  lm-sft label-studio export --in pairs.jsonl --out tasks.json  (and labeling-config.xml beside it)
  lm-sft label-studio import --in export.json --out pairs.jsonl
  lm-sft gate [--judged judged.jsonl --min-judge 3.5] [--report report.json --max-loss 3 --min-improvement 0.1]
  lm-sft train --base model.gguf --train data/sft-train.jsonl [--val data/sft-val.jsonl] --out adapter.gguf
               [--rank 8 --alpha 16 --steps 100 --batch 8 --lr 1e-3 --seq N --run run/ --peft peft/]
               [--judged judged.jsonl --min-judge 3.5] [--max-loss 3 --min-improvement 0.1]
               [--registry adapters --name support]   (gate → export → prepare → fine-tune → gate → register)

Inputs may be alpaca, {"messages"} or {"prompt","completion"} JSONL. Exit code 2: too few curated samples
or a missed gate threshold (the numbers are printed).

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
      train: { type: 'string' },
      val: { type: 'string' },
      test: { type: 'string', default: '0' },
      format: { type: 'string', default: 'alpaca' },
      language: { type: 'string' },
      'no-near-duplicates': { type: 'boolean', default: false },
      'min-length': { type: 'string', default: '16' },
      'max-length': { type: 'string', default: '8000' },
      rubric: { type: 'string' },
      'model-a': { type: 'string' },
      'model-b': { type: 'string' },
      'judge-model': { type: 'string' },
      'temperature-a': { type: 'string', default: '0.7' },
      'temperature-b': { type: 'string', default: '0.7' },
      'from-scores': { type: 'string' },
      margin: { type: 'string', default: '1' },
      judged: { type: 'string' },
      'min-judge': { type: 'string' },
      report: { type: 'string' },
      'max-loss': { type: 'string' },
      'min-improvement': { type: 'string' },
      base: { type: 'string' },
      rank: { type: 'string', default: '8' },
      alpha: { type: 'string', default: '16' },
      steps: { type: 'string', default: '100' },
      batch: { type: 'string', default: '8' },
      lr: { type: 'string', default: '1e-3' },
      seq: { type: 'string' },
      run: { type: 'string' },
      peft: { type: 'string' },
      registry: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command] = positionals;
  const integer = (name: string, text: string | undefined, minimum: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < minimum)
      throw new SftError(`--${name} ${text}: an integer of at least ${minimum}`);
    return value;
  };
  const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));
  const clientFor = (model: string) => {
    if (values.provider !== 'ollama' && values.provider !== 'openai')
      throw new SftError(`--provider ${values.provider}: ollama or openai`);
    return new ChatClient({
      provider: values.provider,
      model,
      baseURL: values['base-url'],
      apiKey: process.env.LM_SFT_API_KEY ?? process.env.OPENAI_API_KEY,
    });
  };
  const stopOnSigint = () => {
    const controller = new AbortController();
    process.once('SIGINT', () =>
      controller.abort(new SftError('stopped: every record written so far is kept')),
    );
    return controller.signal;
  };
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  if (command === 'generate') {
    if (!values.model || !values.out) throw new SftError('generate: --model and --out are required');
    const client = clientFor(values.model);
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
    const rejected = `${values.out.replace(/\.jsonl$/, '')}-rejected.jsonl`;
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
      signal: stopOnSigint(),
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
    const samples = readTrainingPairs(values.in);
    const { kept, dropped } = await curateDataset(samples, {
      minCurated: integer('min-curated', values['min-curated'], 0),
      minLength: integer('min-length', values['min-length'], 0),
      maxLength: integer('max-length', values['max-length'], 1),
      nearDuplicates: !values['no-near-duplicates'],
      ...(values.language ? { language: values.language } : {}),
      ...(values.eval ? { decontaminate: lines(values.eval) } : {}),
    });
    writeJsonlAtomic(values.out, kept);
    const summary = curationSummary(samples.length, kept, dropped);
    const summaryFile = `${values.out.replace(/\.jsonl$/, '')}-summary.json`;
    writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
    print({ ...summary, summaryFile });
    return 0;
  }
  if (command === 'split') {
    if (!values.in || !values.prefix) throw new SftError('split: --in and --prefix are required');
    const format = values.format as SampleFormat;
    if (!SAMPLE_FORMATS.includes(format))
      throw new SftError(`--format ${values.format}: one of ${SAMPLE_FORMATS.join(', ')}`);
    const splits = splitDataset(readTrainingPairs(values.in), {
      train: Number(values.train ?? 0.9),
      val: Number(values.val ?? 0.1),
      test: Number(values.test),
    });
    for (const [name, samples] of Object.entries(splits))
      writeJsonlAtomic(
        `${values.prefix}-${name}.jsonl`,
        samples.map((sample) => formatSample(sample, format)),
      );
    console.log(
      Object.entries(splits)
        .map(([name, samples]) => `${values.prefix}-${name}.jsonl: ${samples.length}`)
        .join('\n'),
    );
    return 0;
  }
  if (command === 'judge') {
    if (!values.in || !values.out || !values.model)
      throw new SftError('judge: --in, --out and --model (the judge) are required');
    const summary = await judgeDataset({
      judge: clientFor(values.model),
      samples: readTrainingPairs(values.in),
      output: values.out,
      rejected: `${values.out.replace(/\.jsonl$/, '')}-rejected.jsonl`,
      concurrency: integer('concurrency', values.concurrency, 1),
      ...(values.rubric ? { rubric: readFileSync(values.rubric, 'utf8') } : {}),
      signal: stopOnSigint(),
    });
    print({ ...summary, mean: Number(summary.mean.toFixed(3)), judge: values.model, outputFile: values.out });
    return 0;
  }
  if (command === 'pairs') {
    if (!values.out) throw new SftError('pairs: --out is required');
    if (values['from-scores']) {
      const judged = readJsonl<JudgedRecord>(values['from-scores']);
      const pairs = pairsFromScores(judged, Number(values.margin));
      writeJsonlAtomic(values.out, pairs.map(formatPreference));
      print({ judged: judged.length, pairs: pairs.length, outputFile: values.out });
      return 0;
    }
    if (!values.in || !values['model-a'] || !values['model-b'] || !values['judge-model'])
      throw new SftError(
        'pairs: --in, --model-a, --model-b and --judge-model are required (or --from-scores)',
      );
    const prompts = [...new Set(readTrainingPairs(values.in).map((sample) => sample.instruction))];
    const counts = await buildPreferencePairs({
      prompts,
      sides: [
        { client: clientFor(values['model-a']), temperature: Number(values['temperature-a']) },
        { client: clientFor(values['model-b']), temperature: Number(values['temperature-b']) },
      ],
      judge: clientFor(values['judge-model']),
      output: values.out,
      rejected: `${values.out.replace(/\.jsonl$/, '')}-rejected.jsonl`,
      concurrency: integer('concurrency', values.concurrency, 1),
      maxTokens: integer('max-tokens', values['max-tokens'], 1),
      signal: stopOnSigint(),
    });
    print({ prompts: prompts.length, ...counts, outputFile: values.out });
    return 0;
  }
  if (command === 'label-studio') {
    const action = positionals[1];
    if (!values.in || !values.out || (action !== 'export' && action !== 'import'))
      throw new SftError('label-studio export|import --in FILE --out FILE');
    if (action === 'export') {
      // Each pair's answers in an order set by a hash, so annotators do not learn that "left" is the winner.
      const candidates = readJsonl<unknown>(values.in).map((record, i) => {
        const pair = parsePreference(record, `${values.in}:record ${i + 1}`);
        const swap = createHash('sha256').update(pair.prompt).digest()[0]! & 1;
        return swap
          ? { prompt: pair.prompt, answer1: pair.rejected, answer2: pair.chosen }
          : { prompt: pair.prompt, answer1: pair.chosen, answer2: pair.rejected };
      });
      writeFileSync(values.out, `${JSON.stringify(toLabelStudioTasks(candidates), null, 2)}\n`);
      const config = `${values.out.replace(/\.json$/, '')}-labeling-config.xml`;
      writeFileSync(config, `${LABEL_STUDIO_PAIRWISE_CONFIG}\n`);
      print({ tasks: candidates.length, tasksFile: values.out, labelingConfig: config });
      return 0;
    }
    const imported = fromLabelStudioExport(JSON.parse(readFileSync(values.in, 'utf8')), values.in);
    writeJsonlAtomic(values.out, imported.pairs.map(formatPreference));
    print({
      pairs: imported.pairs.length,
      unlabeled: imported.unlabeled,
      disputed: imported.disputed,
      outputFile: values.out,
    });
    return 0;
  }
  const gateThresholds = () => ({
    ...(values['min-judge'] ? { minJudgeMean: Number(values['min-judge']) } : {}),
    ...(values['max-loss'] ? { maxValidationLoss: Number(values['max-loss']) } : {}),
    ...(values['min-improvement'] ? { minLossImprovement: Number(values['min-improvement']) } : {}),
  });
  if (command === 'gate') {
    const report = values.report
      ? (JSON.parse(readFileSync(values.report, 'utf8')) as {
          validationLoss?: { before: number; after: number };
        })
      : undefined;
    const passed = evalGate(
      {
        ...(values.judged ? { judged: readJsonl<JudgedRecord>(values.judged) } : {}),
        ...(report?.validationLoss ? { validationLoss: report.validationLoss } : {}),
      },
      gateThresholds(),
    );
    console.log(`gate passed: ${passed.join('; ')}`);
    return 0;
  }
  if (command === 'train') {
    if (!values.base || !values.train || !values.out)
      throw new SftError('train: --base, --train and --out are required');
    if (values.registry && !values.name) throw new SftError('train: --registry needs --name FAMILY');
    // Loaded only here: the other commands never pull in TensorFlow.js.
    const { trainAdapter } = await import('./train.js');
    const started = performance.now();
    const { report, gatePassed, exportedData, entry } = await trainAdapter({
      base: values.base,
      train: readTrainingPairs(values.train),
      ...(values.val ? { validation: readTrainingPairs(values.val) } : {}),
      output: values.out,
      rank: integer('rank', values.rank, 1),
      alpha: Number(values.alpha),
      steps: integer('steps', values.steps, 1),
      batchSize: integer('batch', values.batch, 1),
      learningRate: Number(values.lr),
      ...(values.seq ? { sequenceLength: integer('seq', values.seq, 2) } : {}),
      ...(values.run ? { runDirectory: values.run } : {}),
      ...(values.peft ? { peftDirectory: values.peft } : {}),
      gate: gateThresholds(),
      ...(values.judged ? { judged: readJsonl<JudgedRecord>(values.judged) } : {}),
      ...(values.registry && values.name
        ? { registry: { directory: values.registry, family: values.name } }
        : {}),
      onProgress: (progress) => {
        if (process.stderr.isTTY)
          process.stderr.write(`\rstep ${progress.step}, loss ${progress.loss.toFixed(3)}   `);
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (values.run) writeFileSync(`${values.run}/report.json`, `${JSON.stringify(report, null, 2)}\n`);
    print({
      adapter: values.out,
      steps: report.steps,
      trainableParameters: report.trainableParameters,
      finalTrainLoss: Number(report.finalTrainLoss.toFixed(4)),
      validationLoss: report.validationLoss,
      gatePassed,
      exportedData,
      ...(entry ? { registered: `${values.registry}/${entry.name}` } : {}),
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    });
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
    process.exitCode = error instanceof MinCuratedError || error instanceof GateError ? 2 : 1;
  },
);
