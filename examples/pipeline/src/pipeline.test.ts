import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArguments } from './cli.js';
import { sotuAddresses } from './default-corpus.js';
import { GateError, runPipelineStages } from './pipeline.js';
import { writeReport } from './report.js';
import { fileSha256 } from './stage-cache.js';

const out = mkdtempSync(join(tmpdir(), 'lm-stack-pipeline-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const silent = () => {};

describe('the pipeline end to end (micro preset: the same code path, a 70k-parameter model)', () => {
  const { config } = parseArguments(['--preset', 'micro', '--out', out]);

  it('runs every stage, checks llama.cpp against ours, and writes a manifest that matches the files', async () => {
    const run = await runPipelineStages(config, silent);
    const report = await writeReport(config, run);
    expect(report).toContain('llama.cpp F32 vs ours');
    // llama.cpp on the F32 export gives our logits (32 validation positions).
    expect(run.chat.result.f32MaxDifference).toBeLessThan(1e-4);
    expect(run.chat.result.positions).toBe(32);
    expect(run.chat.result.answers.length).toBe(5);
    // Q8_0 stays close to F32; Q4_0 of a 32-wide model is coarse, so only Q8_0 is bounded.
    expect(run.chat.result.quantization.Q8_0!.maxDifference).toBeLessThan(0.1);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.config).toEqual(JSON.parse(JSON.stringify(config)));
    const paths = manifest.artifacts.map((artifact: { path: string }) => artifact.path);
    for (const expected of [
      'export/model-f32.gguf',
      'export/model-q8_0.gguf',
      'export/model-q4_0.gguf',
      'export/adapter.gguf',
      'export/merged-f32.gguf',
      'export/Modelfile',
      'loss.svg',
      'loss.png',
      'report.json',
    ])
      expect(paths).toContain(expected);
    for (const artifact of manifest.artifacts as Array<{ path: string; sha256: string }>)
      expect(await fileSha256(join(out, artifact.path)), artifact.path).toBe(artifact.sha256);
    expect(readFileSync(join(out, 'export', 'Modelfile'), 'utf8')).toMatch(
      /^FROM \.\/model-q8_0\.gguf\nADAPTER \.\/adapter\.gguf\n/,
    );
  }, 300_000);

  it('a rerun takes every stage from the first run', async () => {
    const lines: string[] = [];
    const run = await runPipelineStages(config, (line) => lines.push(line));
    expect([...run.stages.values()].every((stage) => stage.cached)).toBe(true);
    expect(lines.filter((line) => line.includes('skipped')).length).toBe(7);
  }, 120_000);

  it('a changed config reruns only what depends on it, and a strict gate fails the run with the numbers', async () => {
    const strict = { ...config, gate: { bitsPerByteMargin: 50, chatLossImprovement: 0 } };
    const lines: string[] = [];
    await expect(runPipelineStages(strict, (line) => lines.push(line))).rejects.toThrow(GateError);
    // corpus, tokenizer, pretrain and finetune come from the first run; the gate, whose config changed, runs.
    expect(lines.filter((line) => line.includes('skipped')).length).toBe(4);
    expect(lines.slice(-2)).toEqual(['— gate', expect.stringMatching(/^ {2}done in/)]);
    await expect(runPipelineStages(strict, silent)).rejects.toThrow(
      /validation bits per byte \d+\.\d+ does not beat the unigram baseline \d+\.\d+ by the required 50/,
    );
    expect(existsSync(join(out, 'stages', 'pretrain.json'))).toBe(true);
  }, 120_000);

  it("splits a user's single folder of files by file, so validation is never empty", async () => {
    const data = join(out, 'my-texts');
    mkdirSync(data);
    // 30 files of real prose: 30 addresses up to the last full stop in their first 3,000 characters (the
    // C4 line rule drops a line that does not end a sentence)
    for (const [i, address] of sotuAddresses().slice(0, 30).entries())
      writeFileSync(
        join(data, `note-${i}.txt`),
        address.text.slice(0, address.text.lastIndexOf('.', 3000) + 1),
      );
    const mine = { ...config, data, out: join(out, 'mine'), stages: ['corpus' as const] };
    // Only the corpus stage is selected: the next stage has nothing to start from, and says so.
    await expect(runPipelineStages(mine, silent)).rejects.toThrow(
      'stage tokenizer is not selected and no earlier run finished it',
    );
    const record = JSON.parse(readFileSync(join(out, 'mine', 'stages', 'corpus.json'), 'utf8'));
    expect(record.result.documents.validation).toBeGreaterThan(0);
    expect(record.result.documents.train + record.result.documents.validation).toBeLessThanOrEqual(30);
  }, 60_000);
});
