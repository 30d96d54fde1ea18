import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EmptyCorpusError,
  openTokenShards,
  packShards,
  readShard,
  runPipeline,
  ShardFormatError,
} from './index.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-pipeline-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Distinct prose per document: six different sentence shapes filled from the document's own seed, so the
// Gopher and C4 rules pass (no repeated n-grams) and no two documents are near-duplicates.
// 13 nouns and 11 verbs (primes): documents under 143 apart never share their word choices.
const NOUNS = [
  'whale',
  'captain',
  'harbour',
  'storm',
  'sailor',
  'island',
  'lantern',
  'rope',
  'compass',
  'anchor',
  'gull',
  'tide',
  'mast',
];
const VERBS = [
  'watched',
  'followed',
  'carried',
  'remembered',
  'described',
  'painted',
  'repaired',
  'measured',
  'found',
  'weighed',
  'named',
];
function prose(seed: number): string {
  const n = (k: number) => NOUNS[(seed * 5 + k * 7) % NOUNS.length]!;
  const v = (k: number) => VERBS[(seed * 3 + k * 5) % VERBS.length]!;
  return [
    `In the year ${1800 + seed} the ${n(0)} ${v(0)} an old ${n(1)} near the northern coast.`,
    `Nobody in town had ever seen a ${n(2)} so large, and ${seed + 3} children came to look at it.`,
    `Later that winter a stranger ${v(1)} its shape on paper and sold the drawing for ${seed * 2 + 9} coins.`,
    `She wrote that the ${n(3)} was heavier than any ${n(4)} she had ${v(2)} before.`,
    `By spring, people from ${seed + 2} villages were talking about what the ${n(5)} meant for them.`,
    `Some said it was a sign of luck, while others believed it warned of a hard season with the ${n(6)}.`,
  ].join('\n');
}

let tokenizer: BpeTokenizer;
const folder = join(root, 'my-files');
beforeAll(async () => {
  for (const author of ['alice', 'bob', 'carol', 'dave'])
    mkdirSync(join(folder, author), { recursive: true });
  for (let i = 0; i < 24; i++)
    writeFileSync(join(folder, ['alice', 'bob', 'carol', 'dave'][i % 4]!, `note-${i}.txt`), prose(i));
  writeFileSync(join(folder, 'alice', 'copy-of-note-0.txt'), `${prose(0)}\r\n`); // exact duplicate after prepare
  writeFileSync(join(folder, 'bob', 'menu.md'), 'Home | About | Contact'); // fails the C4 rules
  writeFileSync(join(folder, 'carol', 'broken.txt.gz'), 'not gzip at all'); // skipped with a reason
  tokenizer = await BpeTokenizer.train([prose(100), prose(101)], {
    vocabSize: 300,
    specialTokens: ['<|endoftext|>'],
  });
});

const config = (directory: string) => ({
  inputs: [folder],
  directory,
  split: { ratios: { train: 0.5, validation: 0.25, test: 0.25 } },
  pack: { tokenizer, shardTokens: 500, eos: '<|endoftext|>' },
});

describe('runPipeline', () => {
  it('cleans, deduplicates, splits by folder, packs, logs and reports', async () => {
    const directory = join(root, 'run');
    const events: string[] = [];
    const result = await runPipeline({ ...config(directory), onProgress: (message) => events.push(message) });
    expect(events).toEqual(['clean: running', 'clean: done', 'pack: running', 'pack: done']);
    const total = Object.values(result.splits).reduce((sum, split) => sum + split.documents, 0);
    expect(total).toBe(24); // 27 files: one unreadable, one menu, one duplicate
    // A folder (the group) lands in exactly one split.
    const groupsBySplit = Object.entries(result.splits).map(([, split]) =>
      readFileSync(split.path, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).group as string),
    );
    const seen = new Map<string, number>();
    groupsBySplit.forEach((groups, split) => {
      for (const group of groups) {
        expect(seen.get(group) ?? split).toBe(split);
        seen.set(group, split);
      }
    });
    const lines = (name: string) =>
      readFileSync(join(directory, 'log', `${name}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
    expect(lines('skipped')).toEqual([
      { where: join(folder, 'carol', 'broken.txt.gz'), reason: expect.stringMatching(/header/) },
    ]);
    expect(lines('excluded')).toEqual([
      { id: 'bob/menu.md', source: 'my-files', rule: 'c4.min_sentences', value: 0, limit: 5 },
    ]);
    expect(lines('duplicates')).toEqual([
      { id: 'alice/note-0.txt', duplicateOf: 'alice/copy-of-note-0.txt', kind: 'exact' },
    ]);
    // Shards hold every document's tokens, each followed by EOS.
    for (const [split, manifest] of Object.entries(result.manifests)) {
      const tokens = manifest.shards.flatMap((shard) => [
        ...readShard(join(directory, 'shards', shard.file)),
      ]);
      expect(tokens.length).toBe(manifest.tokens);
      const eos = tokenizer.specialTokens.get('<|endoftext|>')!;
      expect(tokens.filter((id) => id === eos).length).toBe(result.splits[split as 'train'].documents);
    }
    expect(result.summary.split('\n').map((line) => line.split(':')[0])).toEqual([
      'read',
      'prepare',
      'filter',
      'exact-dedup',
      'minhash-dedup',
      ...Object.keys(result.manifests).map((split) => `pack-${split}`),
    ]);
    expect(JSON.parse(readFileSync(join(directory, 'report.json'), 'utf8')).summary).toBe(result.summary);
  });

  it('skips finished stages on a rerun and redoes them when the config changes', async () => {
    const directory = join(root, 'rerun');
    const first = await runPipeline(config(directory));
    const shardBytes = () =>
      readdirSync(join(directory, 'shards'))
        .sort()
        .map((file) => readFileSync(join(directory, 'shards', file)).toString('hex'));
    const before = shardBytes();
    const again = await runPipeline(config(directory));
    expect(again.resumed).toEqual(['clean', 'pack']);
    expect(again.summary).toBe(first.summary);
    expect(shardBytes()).toEqual(before);
    const changed = await runPipeline({
      ...config(directory),
      split: { ratios: { train: 1, validation: 0, test: 0 } },
    });
    expect(changed.resumed).toEqual([]);
    expect(changed.splits.train.documents).toBe(24);
  });

  it('fails with EmptyCorpusError when nothing is left, and writes no split files', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    const directory = join(root, 'empty-run');
    await expect(runPipeline({ inputs: [empty], directory })).rejects.toThrow(EmptyCorpusError);
    expect(readdirSync(join(directory, 'documents'))).toEqual([]);
    expect(existsSync(join(directory, 'stages', 'clean.json'))).toBe(false);
  });

  it('keeps one document when everything is a duplicate (NFC/NFD, CRLF, BOM)', async () => {
    const copies = join(root, 'copies');
    mkdirSync(copies);
    const text = prose(3).replace('the old', 'the café');
    writeFileSync(join(copies, 'a.txt'), text);
    writeFileSync(join(copies, 'b.txt'), `\ufeff${text.normalize('NFD').replaceAll('\n', '\r\n')}`);
    writeFileSync(join(copies, 'c.txt'), `${text}\n\n\n`);
    const result = await runPipeline({
      inputs: [copies],
      directory: join(root, 'copies-run'),
      split: { ratios: { train: 1, validation: 0, test: 0 } },
    });
    expect(result.splits.train.documents).toBe(1);
  });
});

describe('packShards with worker threads', () => {
  it('writes the same shards with 2 workers as on this thread', async () => {
    const documents = Array.from({ length: 300 }, (_, i) => ({
      id: `${i}`,
      source: 's',
      group: 'g',
      text: prose(i),
    }));
    const options = { tokenizer, shardTokens: 4096, eos: '<|endoftext|>', bos: '<|endoftext|>' };
    const inline = await packShards(documents, {
      ...options,
      directory: join(root, 'inline'),
      name: 'train',
    });
    const threaded = await packShards(documents, {
      ...options,
      directory: join(root, 'threaded'),
      name: 'train',
      workers: 2,
    });
    expect(threaded).toEqual(inline);
    expect(inline.shards.length).toBeGreaterThan(3);
  });
});

describe('openTokenShards', () => {
  it('reads the shards of a manifest by range, across shard boundaries, checking every header', async () => {
    const documents = Array.from({ length: 40 }, (_, i) => ({
      id: `${i}`,
      source: 's',
      group: 'g',
      text: prose(i),
    }));
    const directory = join(root, 'ranges');
    const manifest = await packShards(documents, {
      tokenizer,
      directory,
      name: 'train',
      shardTokens: 700,
      eos: '<|endoftext|>',
    });
    const all = manifest.shards.flatMap((shard) => [...readShard(join(directory, shard.file))]);
    const shards = openTokenShards(join(directory, 'train.manifest.json'));
    expect(shards.length).toBe(manifest.tokens);
    expect([...shards.read(0, shards.length)]).toEqual(all);
    expect([...shards.read(650, 120)]).toEqual(all.slice(650, 770)); // spans shards 0 and 1
    expect(() => shards.read(shards.length - 5, 6)).toThrow(RangeError);
    shards.close();
    // A shard whose header lies about its size is refused when opened.
    const broken = readFileSync(join(directory, 'train_000001.bin'));
    broken.writeInt32LE(5, 8);
    writeFileSync(join(directory, 'train_000001.bin'), broken);
    expect(() => openTokenShards(join(directory, 'train.manifest.json'))).toThrow(ShardFormatError);
    // A manifest naming a file outside its folder is refused.
    writeFileSync(
      join(directory, 'evil.manifest.json'),
      JSON.stringify({ shards: [{ file: '../secret.bin', tokens: 1 }] }),
    );
    expect(() => openTokenShards(join(directory, 'evil.manifest.json'))).toThrow('is not a file name');
  });
});
