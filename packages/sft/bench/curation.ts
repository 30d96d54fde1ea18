// Curation MB/s on real English text: records built from the shared corpus (../shared/corpus/en.jsonl.gz),
// instruction = a paragraph's first sentence, output = the paragraph, with 10% exact and 5% near duplicates
// added. Curated three ways: exact duplicates and lengths only; + language and 8-gram decontamination;
// + MinHash near-duplicates (the default).
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { curateDataset } from '../src/curate-dataset.js';
import type { SftSample } from '../src/sample.js';

const corpus = join(import.meta.dirname, '../../../../shared/corpus/en.jsonl.gz');
const RECORDS = 20_000;

const samples: SftSample[] = [];
const lines = createInterface({ input: createReadStream(corpus).pipe(createGunzip()) });
for await (const line of lines) {
  const { text } = JSON.parse(line) as { text: string };
  for (const paragraph of text.split(/\n\s*\n/)) {
    const output = paragraph.replace(/\s+/g, ' ').trim();
    if (output.length < 200 || output.length > 4000) continue;
    const instruction = `Explain: ${output.split(/(?<=[.!?])\s/)[0]!.slice(0, 200)}`;
    samples.push({ instruction, output });
    if (samples.length === RECORDS) break;
  }
  if (samples.length === RECORDS) break;
}
lines.close();
const originals = samples.length;
for (let i = 0; i < originals; i += 10) samples.push({ ...samples[i]! }); // 10% exact duplicates
for (let i = 5; i < originals; i += 20) {
  const words = samples[i]!.output.split(' ');
  words[Math.floor(words.length / 2)] = 'changed';
  samples.push({ instruction: samples[i]!.instruction, output: words.join(' ') }); // 5% near duplicates
}
const megabytes =
  samples.reduce(
    (sum, sample) => sum + Buffer.byteLength(sample.instruction) + Buffer.byteLength(sample.output),
    0,
  ) / 1e6;
const heldOut = samples.slice(0, 200).map((sample) => sample.output.split(' ').slice(0, 30).join(' '));
console.log(`${samples.length} records, ${megabytes.toFixed(1)} MB (instruction + output)`);

const runs = [
  ['exact duplicates + lengths', { nearDuplicates: false }],
  ['+ language + decontamination', { nearDuplicates: false, language: 'en', decontaminate: heldOut }],
  ['+ MinHash near-duplicates', { language: 'en', decontaminate: heldOut }],
] as const;
for (const [label, options] of runs) {
  const started = performance.now();
  const { kept, dropped } = await curateDataset(samples, { maxLength: 5000, ...options });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `  ${label.padEnd(30)} ${(megabytes / seconds).toFixed(1).padStart(6)} MB/s  kept ${kept.length}, dropped ${JSON.stringify(Object.fromEntries(dropped))}`,
  );
}
