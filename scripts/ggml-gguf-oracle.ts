/**
 * ggml's GGUF parser as a test oracle: verdicts (accept/reject) and, optionally, what it read, for many
 * files, in child processes (scripts/ggml-gguf-verdicts.mjs). A file that makes ggml abort counts as
 * rejected, and the next child resumes after it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./ggml-gguf-verdicts.mjs', import.meta.url));

export interface GgmlGgufResult {
  readonly ok: boolean;
  readonly aborted?: boolean;
  readonly version?: number;
  readonly kv?: Array<[string, number, unknown]>;
  readonly tensors?: Array<[string, number, number]>;
  readonly dataOffset?: number;
}

export function ggmlParseGguf(paths: string[], full = false): GgmlGgufResult[] {
  const directory = mkdtempSync(join(tmpdir(), 'lm-stack-ggml-gguf-'));
  const list = join(directory, 'files.json');
  writeFileSync(list, JSON.stringify(paths));
  const results: GgmlGgufResult[] = new Array(paths.length);
  let next = 0;
  try {
    while (next < paths.length) {
      const child = spawnSync(process.execPath, [SCRIPT, list, String(next), full ? 'full' : ''], {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      for (const line of child.stdout.split('\n')) {
        if (!line) continue;
        const parsed = JSON.parse(line) as GgmlGgufResult & { index: number };
        results[parsed.index] = parsed;
        next = parsed.index + 1;
      }
      if (child.status !== 0 && next < paths.length) {
        results[next] = { ok: false, aborted: true };
        next++;
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return results;
}
