import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** sha256 of a file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 of a value's JSON. */
export function keyOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** What a finished stage recorded: its key, its result, and each artifact's sha256. */
export interface StageRecord<T> {
  readonly key: string;
  readonly result: T;
  readonly artifacts: Record<string, string>;
  readonly seconds: number;
}

/** Writes JSON whole or not at all (temporary file, rename). */
export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.partial`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temporary, path);
}

/**
 * Runs a stage unless an earlier run finished it with the same key (the hash of its config and of its
 * inputs' keys) and its artifacts are still there, unchanged. The record is written last, so a killed
 * stage is redone (stages that can, resume inside from their own checkpoints).
 */
export async function cachedStage<T>(
  out: string,
  name: string,
  key: string,
  run: () => Promise<{ result: T; artifacts: readonly string[] }>,
): Promise<{ record: StageRecord<T>; cached: boolean }> {
  const path = join(out, 'stages', `${name}.json`);
  if (existsSync(path)) {
    const record = JSON.parse(readFileSync(path, 'utf8')) as StageRecord<T>;
    let intact = record.key === key;
    for (const [artifact, sha256] of Object.entries(record.artifacts)) {
      if (!intact) break;
      const file = join(out, artifact);
      intact = existsSync(file) && (await fileSha256(file)) === sha256;
    }
    if (intact) return { record, cached: true };
  }
  const started = performance.now();
  const { result, artifacts } = await run();
  const hashes: Record<string, string> = {};
  for (const artifact of artifacts) hashes[relative(out, artifact)] = await fileSha256(artifact);
  const record: StageRecord<T> = {
    key,
    result,
    artifacts: hashes,
    seconds: (performance.now() - started) / 1000,
  };
  writeJsonAtomic(path, record);
  return { record, cached: false };
}
