import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildPreferencePairs } from './ab-pairs.js';
import { ChatClient } from './chat-client.js';
import { GateError } from './errors.js';
import { evalGate } from './eval-gate.js';
import { readJsonl } from './jsonl-file.js';
import { comparePair, scoreAnswer } from './judge.js';
import { type JudgedRecord, judgeDataset } from './judge-dataset.js';
import { FaultServer } from './testing/fault-server.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-sft-judge-'));
let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start();
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  server.requests = 0;
  server.maxInFlight = 0;
  server.delayMs = 2;
});

const text = (value: unknown) => ({ kind: 'answer' as const, text: JSON.stringify(value) });
/** The answer a grading prompt shows (between "Answer:" and the reply instructions). */
const gradedAnswer = (prompt: string) => /Answer:\n([\s\S]*?)\n\nReply/.exec(prompt)?.[1] ?? '';
/** A grader: 5 for the right author, 2 otherwise, an out-of-range 9 for "BROKEN" (invalid even after repair). */
const grader = (_: number, prompt: string) => {
  const answer = gradedAnswer(prompt);
  if (answer.includes('BROKEN')) return text({ reason: 'x', score: 9 });
  return text({ reason: 'checked', score: answer.includes('Melville') ? 5 : 2 });
};
/** A pairwise judge that prefers the answer naming Melville, wherever it is shown. */
const fairJudge = (_: number, prompt: string) => {
  const a = /Answer A:\n([\s\S]*?)\n\nAnswer B:/.exec(prompt)?.[1] ?? '';
  const b = /Answer B:\n([\s\S]*?)\n\nReply/.exec(prompt)?.[1] ?? '';
  return text({ reason: 'r', winner: a.includes('Melville') ? 'A' : b.includes('Melville') ? 'B' : 'tie' });
};

describe.each(['openai', 'ollama'] as const)(
  'LLM-as-judge through the %s client on 127.0.0.1',
  (provider) => {
    const client = (model: string) =>
      new ChatClient({
        provider,
        model,
        baseURL: provider === 'openai' ? `${server.url}/v1` : server.url,
        baseDelayMs: 5,
        attempts: 2,
      });

    it('grades 1–5 with the rubric; an out-of-range score gets one repair and is then rejected', async () => {
      server.behave = grader;
      const right = await scoreAnswer(client('judge'), {
        instruction: 'Who wrote Moby-Dick?',
        output: 'Herman Melville.',
      });
      expect(right).toMatchObject({ ok: true, score: 5, reason: 'checked' });
      const broken = await scoreAnswer(client('judge'), { instruction: 'Who?', output: 'BROKEN' });
      expect(broken).toMatchObject({ ok: false, reason: 'schema' });
      expect(server.requests).toBe(3); // 1 + (1 + the repair)
    });

    it('judgeDataset: mean and histogram, failures in the side file, a rerun asks nothing again', async () => {
      server.behave = grader;
      const samples = [
        ...Array.from({ length: 6 }, (_, i) => ({
          instruction: `Who wrote it? (${i})`,
          output: 'Herman Melville.',
        })),
        ...Array.from({ length: 3 }, (_, i) => ({ instruction: `Who? (${i})`, output: 'Mark Twain.' })),
        { instruction: 'Broken?', output: 'BROKEN' },
      ];
      const output = join(root, `${provider}-judged.jsonl`);
      const rejected = join(root, `${provider}-judged-rejected.jsonl`);
      server.delayMs = 15;
      const summary = await judgeDataset({
        judge: client('judge'),
        samples,
        output,
        rejected,
        concurrency: 3,
      });
      // Worked: (6 × 5 + 3 × 2) / 9 = 36 / 9 = 4.
      expect(summary).toMatchObject({ judged: 9, failed: 1, mean: 4, histogram: [0, 3, 0, 0, 6] });
      expect(server.maxInFlight).toBeLessThanOrEqual(3);
      expect(readJsonl<JudgedRecord>(output).every((record) => record.judge.model === 'judge')).toBe(true);
      expect(readFileSync(rejected, 'utf8')).toContain('"reason":"schema"');
      server.requests = 0;
      const again = await judgeDataset({ judge: client('judge'), samples, output, rejected });
      expect(server.requests).toBe(0);
      expect(again).toMatchObject({ judged: 9, failed: 1, mean: 4 });
    });

    it('pairwise: a winner only when both orders agree; a judge that always says "A" gives ties', async () => {
      server.behave = fairJudge;
      const fair = await comparePair(
        client('judge'),
        'Who wrote Moby-Dick?',
        'Mark Twain.',
        'Herman Melville.',
      );
      expect(fair).toEqual({ winner: 'b', consistent: true, verdicts: ['B', 'A'] });
      server.behave = () => text({ reason: 'first is best', winner: 'A' });
      const biased = await comparePair(
        client('judge'),
        'Who wrote Moby-Dick?',
        'Mark Twain.',
        'Herman Melville.',
      );
      expect(biased).toEqual({ winner: 'tie', consistent: false, verdicts: ['A', 'A'] });
    });

    it('A/B generation → judged pairs in TRL form; ties and equal answers go to the side file', async () => {
      // Model "strong" names Melville except for prompt 3; "weak" says Twain, and for prompt 3 the same as strong.
      server.behave = (n, prompt, model) => {
        if (prompt.includes('Answer A:')) return fairJudge(n, prompt);
        const same = prompt.includes('prompt 3');
        return {
          kind: 'answer',
          text: model === 'strong' || same ? (same ? 'Ishmael.' : 'Herman Melville.') : 'Mark Twain.',
        };
      };
      const output = join(root, `${provider}-pairs.jsonl`);
      const rejected = join(root, `${provider}-pairs-rejected.jsonl`);
      const prompts = Array.from({ length: 5 }, (_, i) => `Who wrote Moby-Dick, prompt ${i}?`);
      const counts = await buildPreferencePairs({
        prompts,
        sides: [{ client: client('weak') }, { client: client('strong') }],
        judge: client('judge'),
        output,
        rejected,
        concurrency: 2,
      });
      expect(counts).toEqual({
        pairs: 4,
        winsA: 0,
        winsB: 4,
        ties: 1,
        inconsistent: 0,
        failed: 0,
        skipped: 0,
      });
      const pairs = readJsonl<{ prompt: string; chosen: string; rejected: string; chosenModel: string }>(
        output,
      );
      expect(pairs.map((pair) => [pair.chosen, pair.rejected, pair.chosenModel])).toEqual(
        Array(4).fill(['Herman Melville.', 'Mark Twain.', 'strong']),
      );
      expect(readJsonl<{ reason: string }>(rejected)).toMatchObject([{ reason: 'equal answers' }]);
      const rerun = await buildPreferencePairs({
        prompts,
        sides: [{ client: client('weak') }, { client: client('strong') }],
        judge: client('judge'),
        output,
        rejected,
      });
      expect(rerun.skipped).toBe(5);
    });
  },
);

describe('eval gate', () => {
  const judged = [5, 4, 2].map((score, i) => ({
    instruction: `q${i}`,
    output: 'a',
    judge: { model: 'j', score, reason: '', key: String(i) },
  }));
  it('passes with the numbers, fails listing every miss, and never passes on missing data', () => {
    // Worked: mean (5 + 4 + 2) / 3 = 3.67.
    expect(
      evalGate(
        { judged, validationLoss: { before: 3.9, after: 2.4 } },
        { minJudgeMean: 3.5, maxValidationLoss: 2.5, minLossImprovement: 1 },
      ),
    ).toEqual([
      'judge mean 3.67 ≥ 3.50 (n = 3)',
      'held-out loss 2.400 ≤ 2.500',
      'held-out loss 3.900 → 2.400 (−1.500, needed −1.000)',
    ]);
    expect(() =>
      evalGate(
        { judged, validationLoss: { before: 3.9, after: 2.8 } },
        { minJudgeMean: 4, maxValidationLoss: 2.5 },
      ),
    ).toThrow(new GateError(['judge mean 3.67 < 4.00 (n = 3)', 'held-out loss 2.800 > 2.500']));
    expect(() => evalGate({}, { minJudgeMean: 3 })).toThrow(/no judged samples/);
    expect(() => evalGate({ judged }, {})).toThrow(/checks nothing/);
  });
});
