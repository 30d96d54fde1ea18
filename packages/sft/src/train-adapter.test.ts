import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoraModel, loadGgufAdapter } from '@lm-stack/lora';
import { CHATML, renderChat } from '@lm-stack/tokenizer';
import { importGguf } from '@lm-stack/transformer/node';
import * as tf from '@tensorflow/tfjs';
import { type ControlledEvaluateInputItem, getLlama, type Llama, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logitsOf, maxAbsDifference } from '../../lora/src/testing/fixtures.js';
import { servedModel } from '../../server/src/testing/served-model.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-sft-train-'));
const tsx = createRequire(import.meta.url).resolve('tsx');
const cli = join(import.meta.dirname, 'cli.ts');
/** Runs `lm-sft` from source; returns exit code and output. */
const lmSft = (...args: string[]) => {
  const run = spawnSync(process.execPath, ['--import', tsx, cli, ...args], { cwd: root, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
};
let llama: Llama;
let base: string;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  ({ base } = await servedModel(root));
}, 180_000);
afterAll(async () => {
  await llama?.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('lm-sft curate → split → train → gate, and llama.cpp runs the adapter', () => {
  it('trains an adapter from generated pairs that llama.cpp applies exactly as we do', async () => {
    // 48 generated records (with generate's extra fields), 8 of them exact duplicates.
    const records = Array.from({ length: 48 }, (_, i) => ({
      instruction: `What colour is whale number ${i % 40}?`,
      output: `Whale number ${i % 40} is ${i % 2 ? 'white' : 'grey'}, and it swims in the sea.`,
      key: `k${i}`,
      model: 'helper',
    }));
    writeFileSync(join(root, 'sft.jsonl'), records.map((record) => `${JSON.stringify(record)}\n`).join(''));
    const curated = lmSft(
      'curate',
      '--in',
      'sft.jsonl',
      '--out',
      'curated.jsonl',
      '--no-near-duplicates',
      '--min-curated',
      '30',
    );
    expect(curated.code, curated.stderr).toBe(0);
    expect(JSON.parse(curated.stdout)).toMatchObject({ read: 48, kept: 40, dropped: { duplicate: 8 } });
    const split = lmSft(
      'split',
      '--in',
      'curated.jsonl',
      '--prefix',
      'data-sft',
      '--format',
      'messages',
      '--train',
      '0.8',
      '--val',
      '0.2',
    );
    expect(split.code, split.stderr).toBe(0);
    const train = readFileSync(join(root, 'data-sft-train.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(train[0]!).messages).toHaveLength(2);
    const trained = lmSft(
      'train',
      '--base',
      base,
      '--train',
      'data-sft-train.jsonl',
      '--val',
      'data-sft-val.jsonl',
      '--out',
      'adapter.gguf',
      '--rank',
      '4',
      '--steps',
      '30',
      '--batch',
      '4',
      '--lr',
      '5e-3',
      '--run',
      'run',
      '--min-improvement',
      '0.01',
      '--registry',
      'adapters',
      '--name',
      'whales',
    );
    expect(trained.code, trained.stderr).toBe(0);
    const report = JSON.parse(trained.stdout) as {
      validationLoss: { before: number; after: number };
      steps: number;
      gatePassed: string[];
      registered: string;
    };
    console.log(`lm-sft train: ${trained.stdout.replace(/\s+/g, ' ')}`);
    expect(report.steps).toBe(30);
    expect(report.validationLoss.after).toBeLessThan(report.validationLoss.before);
    expect(report.gatePassed[0]).toMatch(/^held-out loss/);
    expect(report.registered).toBe('adapters/whales-v1');
    // The registry entry: the adapter, its report and the exact conversations it was trained on.
    const registry = JSON.parse(readFileSync(join(root, 'adapters/registry.json'), 'utf8'));
    expect(registry.latest).toEqual({ whales: 'whales-v1' });
    expect(registry.adapters[0].files).toEqual([
      'adapter.gguf',
      'adapter-report.json',
      'adapter-train.jsonl',
    ]);
    expect(registry.adapters[0].metrics.validationLossAfter).toBeCloseTo(report.validationLoss.after, 6);
    const exported = readFileSync(join(root, 'adapters/whales-v1/adapter-train.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(exported).toHaveLength(train.length);

    // A missed gate stops before the registry: exit 2, the numbers printed, still one version.
    const gated = lmSft(
      ...['train', '--base', base, '--train', 'data-sft-train.jsonl', '--val', 'data-sft-val.jsonl'],
      ...['--out', 'gated.gguf', '--steps', '2', '--batch', '4', '--max-loss', '0.001'],
      ...['--registry', 'adapters', '--name', 'whales'],
    );
    expect(gated.code).toBe(2);
    expect(gated.stderr).toMatch(/lm-sft: held-out loss \d+\.\d{3} > 0\.001/);
    expect(JSON.parse(readFileSync(join(root, 'adapters/registry.json'), 'utf8')).adapters).toHaveLength(1);
    // A judge gate on the data stops before any training.
    writeFileSync(
      join(root, 'judged.jsonl'),
      `${JSON.stringify({ instruction: 'q', output: 'a', judge: { model: 'j', score: 2, reason: 'vague', key: 'k' } })}\n`,
    );
    const rejected = lmSft(
      ...['train', '--base', base, '--train', 'data-sft-train.jsonl', '--out', 'never.gguf'],
      ...['--judged', 'judged.jsonl', '--min-judge', '3.5'],
    );
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toMatch(/judge mean 2\.00 < 3\.50 \(n = 1\)/);
    expect(existsSync(join(root, 'never.gguf'))).toBe(false);

    // The gate reads the run's report: passes on the measured improvement, exits 2 on an impossible loss.
    const pass = lmSft('gate', '--report', 'run/report.json', '--min-improvement', '0.01');
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stdout).toMatch(/^gate passed: held-out loss \d+\.\d{3} → \d+\.\d{3}/);
    const fail = lmSft('gate', '--report', 'run/report.json', '--max-loss', '0.001');
    expect(fail.code).toBe(2);
    expect(fail.stderr).toMatch(/lm-sft: held-out loss \d+\.\d{3} > 0\.001/);

    // llama.cpp: base + adapter, logits at every position of a chat prompt, against our LoraModel.
    const { model: ours, tokenizer } = await importGguf(base);
    const adapter = await loadGgufAdapter(join(root, 'adapter.gguf'), ours);
    const { ids } = renderChat(tokenizer, [{ role: 'user', content: 'What colour is whale number 7?' }], {
      template: CHATML,
      addGenerationPrompt: true,
    });
    const before = tf.memory().numTensors;
    const expected = logitsOf(new LoraModel(ours, [{ adapter }], null), ids);
    const plain = logitsOf(ours, ids);
    expect(tf.memory().numTensors).toBe(before);
    const loaded = await llama.loadModel({ modelPath: base });
    const context = await loaded.createContext({
      contextSize: 128,
      threads: 1,
      flashAttention: false,
      experimentalKvCacheKeyType: 'F32',
      experimentalKvCacheValueType: 'F32',
      lora: { adapters: [{ filePath: join(root, 'adapter.gguf') }] },
    });
    const input: ControlledEvaluateInputItem[] = ids.map((id) => [
      id as Token,
      { generateNext: { logits: true } },
    ]);
    const output = await context.getSequence().controlledEvaluate(input);
    const theirs = new Float32Array(ids.length * tokenizer.vocabSize);
    output.forEach((item, position) => {
      for (const [token, logit] of item!.next.logits!)
        theirs[position * tokenizer.vocabSize + (token as number)] = logit;
    });
    await context.dispose();
    await loaded.dispose();
    const worst = maxAbsDifference(expected, theirs);
    const moved = maxAbsDifference(plain, theirs);
    console.log(
      `llama.cpp + lm-sft adapter: max |ours − llama.cpp| ${worst.toExponential(2)} over ${ids.length} positions; the adapter moves logits by up to ${moved.toFixed(3)}`,
    );
    expect(moved).toBeGreaterThan(0.01); // llama.cpp applied the trained adapter …
    expect(worst).toBeLessThan(1e-3); // … as our forward pass does
    adapter.dispose();
    ours.dispose();
  }, 300_000);
});
