import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CorpusWriteError, packShards } from './index.js';

// The full-disk test makes writeSync fail with ENOSPC on demand; everything else uses the real one.
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, writeSync: vi.fn(real.writeSync) };
});

const root = fs.mkdtempSync(join(tmpdir(), 'lm-stack-pack-faults-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const SENTENCES = [
  'The tide came in slowly.',
  'A gull cried over the harbour.',
  'Nobody answered the captain.',
  'Rain fell on the old rope.',
];
const documents = Array.from({ length: 120 }, (_, i) => ({
  id: `d${i}`,
  source: 'test',
  group: 'g',
  text: `${SENTENCES[i % 4]} Day ${i} of the voyage. ${SENTENCES[(i * 3 + 1) % 4]}`,
}));
let tokenizer: BpeTokenizer;
const options = (directory: string) => ({
  tokenizer,
  directory,
  name: 'train',
  shardTokens: 256,
  eos: '<|endoftext|>',
});
/** Every file in a folder with its bytes, for comparing two runs. */
const snapshot = (directory: string) =>
  Object.fromEntries(
    fs
      .readdirSync(directory)
      .sort()
      .map((file) => [file, fs.readFileSync(join(directory, file)).toString('base64')]),
  );

let unbroken: Record<string, string>;
beforeAll(async () => {
  tokenizer = await BpeTokenizer.train(SENTENCES, { vocabSize: 280, specialTokens: ['<|endoftext|>'] });
  await packShards(documents, options(join(root, 'unbroken')));
  unbroken = snapshot(join(root, 'unbroken'));
});

describe('packShards faults', () => {
  it('resumes after a kill -9 during packing and writes the same shards as an unbroken run', async () => {
    const directory = join(root, 'killed');
    fs.writeFileSync(join(root, 'tokenizer.json'), JSON.stringify(tokenizer));
    fs.writeFileSync(join(root, 'documents.json'), JSON.stringify(documents));
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, 'testing', 'pack-child.mjs'),
        join(root, 'tokenizer.json'),
        join(root, 'documents.json'),
        directory,
      ],
      { stdio: 'inherit' },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_, signal) => resolve(signal)),
    );
    // Kill it once three shards are recorded (of about a dozen).
    const progress = join(directory, 'train.progress.json');
    for (let waited = 0; waited < 30_000; waited += 5) {
      if (fs.existsSync(progress) && JSON.parse(fs.readFileSync(progress, 'utf8')).shards.length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(fs.existsSync(join(directory, 'train.manifest.json'))).toBe(false); // no manifest for an unfinished run
    const recorded = JSON.parse(fs.readFileSync(progress, 'utf8')).shards.length;
    expect(recorded).toBeGreaterThanOrEqual(3);
    expect(recorded).toBeLessThan(Object.keys(unbroken).length - 1);

    await packShards(documents, options(directory));
    expect(snapshot(directory)).toEqual(unbroken);
  }, 60_000);

  it('stops with CorpusWriteError on a full disk, leaves nothing half-written, and resumes when space is back', async () => {
    const directory = join(root, 'full');
    const real = vi.mocked(fs.writeSync).getMockImplementation()!;
    let shardWrites = 0;
    const isShard = (bytes: Uint8Array) =>
      bytes.length >= 4 && Buffer.from(bytes.buffer, bytes.byteOffset, 4).readInt32LE(0) === 20240520;
    vi.mocked(fs.writeSync).mockImplementation(((descriptor: number, ...rest: unknown[]) => {
      // The fourth shard's write fails after 100 bytes reached the disk, as a full disk does.
      const bytes = rest[0] as Uint8Array;
      if (isShard(bytes) && ++shardWrites === 4) {
        (real as (...args: unknown[]) => number)(descriptor, bytes.subarray(0, 100));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return (real as (...args: unknown[]) => number)(descriptor, ...rest);
    }) as typeof fs.writeSync);
    const failure = await packShards(documents, options(directory)).catch((error: unknown) => error);
    vi.mocked(fs.writeSync).mockImplementation(real);
    expect(failure).toBeInstanceOf(CorpusWriteError);
    expect(failure).toMatchObject({ code: 'ENOSPC', path: join(directory, 'train_000003.bin') });
    expect((failure as Error).message).toBe(
      `cannot write ${join(directory, 'train_000003.bin')}: ENOSPC: no space left on device, write`,
    );
    // Three whole shards, their progress record, no partial file, no manifest.
    expect(fs.readdirSync(directory).sort()).toEqual([
      'train.progress.json',
      'train_000000.bin',
      'train_000001.bin',
      'train_000002.bin',
    ]);
    for (const file of ['train_000000.bin', 'train_000001.bin', 'train_000002.bin'])
      expect(fs.readFileSync(join(directory, file)).toString('base64')).toBe(unbroken[file]);

    await packShards(documents, options(directory));
    expect(snapshot(directory)).toEqual(unbroken);
  });
});
