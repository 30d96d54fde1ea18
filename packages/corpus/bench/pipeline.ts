/**
 * Corpus pipeline throughput on the shared 39.4 MB English corpus, single thread, with the references in
 * the same process: the plain-string rules (testing/reference-rules.ts) for the filters, the tokenizer's
 * own encode speed for packing. Then the whole pipeline on a generated 2 GB corpus (the real one repeated
 * with varied ids and small edits) in a child process, for its peak memory.
 * Run: pnpm --filter @lm-stack/corpus bench   (LM_STACK_BENCH_GB=0 skips the 2 GB run)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { readSharedCorpus, SHARED_CORPUS } from '../../../scripts/shared-corpus.js';
import {
  type CorpusDocument,
  exactDedup,
  filterDocuments,
  minhashDedup,
  packShards,
  prepareText,
  runPipeline,
} from '../src/index.js';
import { STOP_WORD_LISTS } from '../src/quality-rules.js';
import {
  referenceC4Lines,
  referenceFoldedText,
  referenceGopherQuality,
  referenceGopherRepetition,
  referenceGuessLanguage,
} from '../src/testing/reference-rules.js';

const scratch = mkdtempSync(join(tmpdir(), 'lm-stack-corpus-bench-'));
const raw = readSharedCorpus();
const prepared: CorpusDocument[] = raw.map((document) => ({ ...document, text: prepareText(document.text) }));
const megabytes = prepared.reduce((sum, document) => sum + Buffer.byteLength(document.text), 0) / 1e6;
console.log(`corpus: ${prepared.length} documents, ${megabytes.toFixed(1)} MB (prepared)`);

const rows: Array<{ stage: string; 'MB/s': string; kept: number }> = [];
const ratios: string[] = [];
async function measure(
  stage: string,
  run: () => Promise<number> | number,
  bytes = megabytes,
): Promise<number> {
  await run(); // warm-up
  const start = performance.now();
  const kept = await run();
  const mbPerSecond = bytes / ((performance.now() - start) / 1000);
  rows.push({ stage, 'MB/s': mbPerSecond.toFixed(1), kept });
  return mbPerSecond;
}
const count = async (stream: AsyncIterable<unknown>) => {
  let kept = 0;
  for await (const _ of stream) kept++;
  return kept;
};

await measure('prepare', () => raw.map((document) => prepareText(document.text)).length);
const filter = await measure('filter', () => count(filterDocuments(prepared)));
await measure('exact-dedup', () => count(exactDedup(prepared)));
const filterAndDedup = await measure('filter + exact-dedup', () =>
  count(exactDedup(filterDocuments(prepared))),
);
// The same rules, composed the same way, with a string per word and n-gram, and sha256 of the folded text.
const reference = await measure('reference filter + exact-dedup', () => {
  const seen = new Set<string>();
  let kept = 0;
  for (const { text } of prepared) {
    const c4 = referenceC4Lines(text);
    if ('exclusion' in c4) continue;
    if (referenceGopherQuality(c4.text) || referenceGopherRepetition(c4.text)) continue;
    if (referenceGuessLanguage(c4.text, STOP_WORD_LISTS.languages).language !== 'en') continue;
    const key = createHash('sha256').update(referenceFoldedText(c4.text)).digest('hex');
    if (seen.has(key)) continue;
    seen.add(key);
    kept++;
  }
  return kept;
});
ratios.push(`ratio filter-exact-dedup ${(filterAndDedup / reference).toFixed(2)}`);
await measure('minhash-dedup', () => count(minhashDedup(prepared)));

// Packing against the tokenizer's own encode speed (cl100k_base, vocabulary > 65,536: uint32 shards).
const tokenizer = await BpeTokenizer.fromTiktoken('cl100k_base');
const encode = await measure('tokenizer encodeOrdinary (reference for pack)', () => {
  let tokens = 0;
  for (const { text } of prepared) tokens += tokenizer.encodeOrdinary(text).length;
  return tokens;
});
for (const workers of [0, 1, 2]) {
  const pack = await measure(`pack, ${workers} worker threads`, async () => {
    const manifest = await packShards(prepared, {
      tokenizer,
      directory: join(scratch, `pack-${workers}`),
      name: 'train',
      shardTokens: 10_000_000,
      eos: '<|endoftext|>',
      workers,
      resume: false,
    });
    return manifest.documents;
  });
  ratios.push(`ratio pack-${workers}-workers ${(pack / encode).toFixed(2)}`);
}

// The whole pipeline from the gzipped file, without packing, in this process.
const whole = await measure('runPipeline (read .jsonl.gz → split files)', async () => {
  const directory = join(scratch, `whole-${Math.random()}`);
  const result = await runPipeline({ inputs: [SHARED_CORPUS], directory });
  return Object.values(result.splits).reduce((sum, split) => sum + split.documents, 0);
});
console.table(rows);
console.log(
  `filter + exact dedup: ${filterAndDedup.toFixed(1)} MB/s (target ≥ 50); filter alone ${filter.toFixed(1)} MB/s`,
);
console.log(`whole pipeline: ${whole.toFixed(1)} MB/s`);

const gigabytes = Number(process.env.LM_STACK_BENCH_GB ?? 2);
if (gigabytes > 0) {
  // The real corpus repeated with new ids and a small edit per copy (one word swapped, a line added), so
  // exact dedup keeps them and near-dedup has real work.
  const path = join(scratch, 'big.jsonl');
  const out = createWriteStream(path);
  let written = 0;
  for (let copy = 0; written < gigabytes * 1e9; copy++)
    for (const document of raw) {
      const words = document.text.split(' ');
      const at = (copy * 7919 + written) % Math.max(1, words.length);
      words[at] = `${words[at]}${copy % 10}`;
      const line = `${JSON.stringify({ id: `${document.id}-copy${copy}`, source: document.source, group: document.group, text: `${words.join(' ')}\nCopy ${copy}.` })}\n`;
      written += line.length;
      if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      if (written >= gigabytes * 1e9) break;
    }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  const bytes = statSync(path).size;
  const child = spawnSync(
    process.execPath,
    [join(import.meta.dirname, 'big-corpus-child.mjs'), path, join(scratch, 'big-run')],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    },
  );
  if (child.status !== 0) throw new Error(`big-corpus child failed: ${child.stderr}`);
  const big = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
    seconds: number;
    peakRssBytes: number;
    kept: number;
    summary: string;
  };
  console.log(
    `\n${(bytes / 1e9).toFixed(2)} GB generated corpus, whole pipeline without packing (built package, own process):`,
  );
  console.log(big.summary);
  console.log(
    `${(bytes / 1e6 / big.seconds).toFixed(1)} MB/s, peak memory ${(big.peakRssBytes / 2 ** 20).toFixed(0)} MiB (target < 500 MB), ${big.kept} documents kept`,
  );
}
for (const line of ratios) console.log(line);
rmSync(scratch, { recursive: true, force: true });
