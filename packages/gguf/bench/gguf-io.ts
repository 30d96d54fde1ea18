/**
 * GGUF write throughput against a raw sequential write of the same bytes (same run, same disk), and the
 * time to read the header of a file with 10,000 tensors. Run: pnpm --filter @lm-stack/gguf bench
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgufWriter, readGguf } from '../src/index.js';

const directory = mkdtempSync(join(tmpdir(), 'lm-stack-gguf-bench-'));
const TENSORS = 64;
const ROWS = 4096;
const COLUMNS = 1024; // 64 × 4096 × 1024 × 4 bytes = 1 GiB
const tensor = new Float32Array(ROWS * COLUMNS).map((_, i) => i % 251);
const gigabytes = (TENSORS * tensor.byteLength) / 2 ** 30;

async function rawWrite(path: string): Promise<number> {
  const start = performance.now();
  const file = await open(path, 'w');
  const bytes = new Uint8Array(tensor.buffer);
  let position = 0;
  for (let i = 0; i < TENSORS; i++) {
    await file.write(bytes, 0, bytes.length, position);
    position += bytes.length;
  }
  await file.sync();
  await file.close();
  return (performance.now() - start) / 1000;
}

async function ggufWrite(path: string): Promise<number> {
  const start = performance.now();
  const writer = new GgufWriter(path);
  writer.setMetadata('general.architecture', { type: 'string', value: 'llama' });
  for (let i = 0; i < TENSORS; i++)
    writer.declareTensor(`blk.${i}.weight`, { shape: [ROWS, COLUMNS], type: 'F32' });
  for (let i = 0; i < TENSORS; i++) await writer.writeTensor(`blk.${i}.weight`, tensor);
  await writer.finish();
  return (performance.now() - start) / 1000;
}

let bestRaw = Number.POSITIVE_INFINITY;
let bestGguf = Number.POSITIVE_INFINITY;
for (let round = 0; round < 3; round++) {
  bestRaw = Math.min(bestRaw, await rawWrite(join(directory, 'raw.bin')));
  bestGguf = Math.min(bestGguf, await ggufWrite(join(directory, 'model.gguf')));
  rmSync(join(directory, 'raw.bin'), { force: true });
  rmSync(join(directory, 'model.gguf'), { force: true });
}

const many = new GgufWriter(join(directory, 'many.gguf'));
for (let i = 0; i < 10_000; i++)
  many.declareTensor(`blk.${Math.floor(i / 10)}.t${i % 10}.weight`, { shape: [32], type: 'F32' });
for (let i = 0; i < 10_000; i++)
  await many.writeTensor(`blk.${Math.floor(i / 10)}.t${i % 10}.weight`, new Float32Array(32));
await many.finish();
await readGguf(join(directory, 'many.gguf')); // warm-up
let readMs = Number.POSITIVE_INFINITY;
for (let round = 0; round < 5; round++) {
  const start = performance.now();
  await readGguf(join(directory, 'many.gguf'));
  readMs = Math.min(readMs, performance.now() - start);
}
rmSync(directory, { recursive: true, force: true });

console.table([
  {
    what: `raw write ${gigabytes} GiB + fsync`,
    seconds: bestRaw.toFixed(2),
    'MB/s': ((gigabytes * 1024) / bestRaw).toFixed(0),
  },
  {
    what: `GGUF write ${gigabytes} GiB F32 + fsync + rename`,
    seconds: bestGguf.toFixed(2),
    'MB/s': ((gigabytes * 1024) / bestGguf).toFixed(0),
  },
  { what: 'read header of 10,000 tensors', seconds: (readMs / 1000).toFixed(4), 'MB/s': '' },
]);
console.log(`ratio gguf-write ${(bestRaw / bestGguf).toFixed(2)}`);
console.log(`read-10k-tensors-ms ${readMs.toFixed(1)}`);
