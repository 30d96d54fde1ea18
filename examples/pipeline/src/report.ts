import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { lineChartPng, lineChartSvg } from './chart.js';
import type { PipelineRunConfig } from './config.js';
import type { runPipelineStages } from './pipeline.js';
import { fileSha256, writeJsonAtomic } from './stage-cache.js';

type Run = Awaited<ReturnType<typeof runPipelineStages>>;

const kib = (bytes: number) => `${(bytes / 1024).toLocaleString('en-US', { maximumFractionDigits: 0 })} KiB`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Every file under `directory`, recursively (the manifest lists them all). */
function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(directory, entry.name)) : [join(directory, entry.name)],
  );
}

/**
 * The run's report: a summary table (sizes, parameters, losses, bits per byte, quantization deltas,
 * timings per stage), loss charts as SVG and PNG, `report.json`, and `manifest.json` with the sha256 of
 * every artifact and the config that made them. Returns the printed text.
 */
export async function writeReport(config: PipelineRunConfig, run: Run): Promise<string> {
  const { out } = config;
  const pre = run.pretrain.result.minigpt;
  const lora = run.finetune.result;
  const chat = run.chat.result;
  const lines: string[] = [];
  lines.push('stage      time     note');
  for (const [name, { record, cached }] of run.stages)
    lines.push(
      `${name.padEnd(10)} ${`${record.seconds.toFixed(1)} s`.padStart(7)}  ${cached ? '(from an earlier run)' : ''}`.trimEnd(),
    );
  lines.push('');
  lines.push(
    table([
      ['what', 'value'],
      [
        'documents (train / validation)',
        `${run.corpus.result.documents.train} / ${run.corpus.result.documents.validation}`,
      ],
      [
        'tokens (train / validation)',
        `${run.tokenized.result.trainTokens.toLocaleString('en-US')} / ${run.tokenized.result.validationTokens.toLocaleString('en-US')}`,
      ],
      ['MiniGPT parameters', pre.parameters.toLocaleString('en-US')],
      [
        'validation loss / bits per byte',
        `${pre.validation.loss.toFixed(3)} / ${pre.validation.bitsPerByte!.toFixed(3)}`,
      ],
      ['unigram baseline bits per byte', run.gate.result.baselineBitsPerByte.toFixed(3)],
      ...(run.pretrain.result.lstm
        ? [
            [
              'LSTM parameters / bits per byte',
              `${run.pretrain.result.lstm.parameters.toLocaleString('en-US')} / ${run.pretrain.result.lstm.validation.bitsPerByte!.toFixed(3)}`,
            ],
          ]
        : []),
      [
        'pretraining tokens/s',
        pre.tokensPerSecond === null ? '(resumed)' : Math.round(pre.tokensPerSecond).toLocaleString('en-US'),
      ],
      [
        'LoRA trainable parameters',
        `${lora.report.trainableParameters.toLocaleString('en-US')} (${((100 * lora.report.trainableParameters) / lora.report.baseParameters).toFixed(1)}% of the base)`,
      ],
      ['chat examples (train / held out)', `${lora.examples.train} / ${lora.examples.validation}`],
      [
        'held-out chat loss before → after LoRA',
        `${lora.report.validationLoss!.before.toFixed(3)} → ${lora.report.validationLoss!.after.toFixed(3)}`,
      ],
      [
        `llama.cpp F32 vs ours, ${chat.positions} positions`,
        `max |Δ logit| ${chat.f32MaxDifference.toExponential(1)}`,
      ],
      ...Object.entries(chat.quantization).map(([type, delta]) => [
        `llama.cpp ${type} vs F32`,
        `max |Δ logit| ${delta.maxDifference.toFixed(3)}, top-1 agreement ${(100 * delta.topOneAgreement).toFixed(0)}%`,
      ]),
      ...Object.entries(run.exported.result.sizes).map(([file, bytes]) => [file, kib(bytes)]),
    ]),
  );
  lines.push('', 'samples (ours, temperature 0.8):');
  for (const sample of run.pretrain.result.samples) lines.push(`  ${JSON.stringify(sample)}`);
  lines.push('', 'chat in llama.cpp (greedy):');
  for (const answer of chat.answers) {
    lines.push(`  > ${answer.question}${answer.heldOut ? '   (held out)' : ''}`);
    lines.push(`    base alone     : ${answer.base}`);
    lines.push(`    base + adapter : ${answer.adapter}`);
    lines.push(`    merged         : ${answer.merged}`);
  }
  const text = lines.join('\n');

  const pretrainSeries = [
    { name: 'MiniGPT train loss', color: [31, 119, 180] as const, points: pre.history },
    {
      name: 'MiniGPT validation',
      color: [214, 39, 40] as const,
      points: pre.evaluations.map((e) => [e.step, e.loss] as const),
    },
    ...(run.pretrain.result.lstm
      ? [{ name: 'LSTM train loss', color: [44, 160, 44] as const, points: run.pretrain.result.lstm.history }]
      : []),
  ].filter((series) => series.points.length > 0);
  writeFileSync(join(out, 'loss.svg'), lineChartSvg('pretraining loss (nats/token)', pretrainSeries));
  writeFileSync(join(out, 'loss.png'), lineChartPng(pretrainSeries));
  const loraSeries = [{ name: 'LoRA train loss', color: [148, 103, 189] as const, points: lora.history }];
  writeFileSync(
    join(out, 'finetune-loss.svg'),
    lineChartSvg('LoRA fine-tuning loss (assistant tokens)', loraSeries),
  );
  writeFileSync(join(out, 'finetune-loss.png'), lineChartPng(loraSeries));
  writeFileSync(join(out, 'report.txt'), `${text}\n`);
  writeJsonAtomic(join(out, 'report.json'), {
    corpus: run.corpus.result,
    tokenizer: run.tokenized.result,
    pretrain: run.pretrain.result,
    finetune: run.finetune.result,
    gate: run.gate.result,
    export: run.exported.result,
    chat: run.chat.result,
  });

  // The manifest last: every artifact of the run with its sha256, and the config that made them.
  const artifacts = [];
  for (const file of filesUnder(out).sort()) {
    const name = relative(out, file);
    if (name === 'manifest.json' || name.endsWith('.partial')) continue;
    artifacts.push({ path: name, bytes: statSync(file).size, sha256: await fileSha256(file) });
  }
  writeJsonAtomic(join(out, 'manifest.json'), {
    format: 'lm-stack-pipeline-manifest',
    version: 1,
    created: new Date().toISOString(),
    config,
    stages: Object.fromEntries(
      [...run.stages].map(([name, { record }]) => [name, { key: record.key, seconds: record.seconds }]),
    ),
    artifacts,
  });
  return text;
}
