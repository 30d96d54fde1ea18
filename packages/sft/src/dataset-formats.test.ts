import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import {
  formatSample,
  parseSample,
  readTrainingPairs,
  SAMPLE_FORMATS,
  toConversation,
} from './dataset-format.js';
import { DatasetFormatError } from './errors.js';
import { readJsonl, writeJsonlAtomic } from './jsonl-file.js';
import { fromLabelStudioExport, toLabelStudioTasks } from './label-studio.js';
import { formatPreference, pairsFromScores, parsePreference } from './preference-pair.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-sft-formats-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const pair = { instruction: 'Name the whale.', output: 'Moby Dick.' };
const withSystem = { ...pair, system: 'Be brief.' };

describe('SFT formats: alpaca, messages, prompt/completion', () => {
  it('writes each format as the trainers expect it (golden records)', () => {
    expect(formatSample(pair, 'alpaca')).toEqual({ instruction: 'Name the whale.', output: 'Moby Dick.' });
    expect(formatSample(withSystem, 'messages')).toEqual({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Name the whale.' },
        { role: 'assistant', content: 'Moby Dick.' },
      ],
    });
    // TRL standard prompt/completion; with a system prompt its conversational form.
    expect(formatSample(pair, 'prompt-completion')).toEqual({
      prompt: 'Name the whale.',
      completion: 'Moby Dick.',
    });
    expect(formatSample(withSystem, 'prompt-completion')).toEqual({
      prompt: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Name the whale.' },
      ],
      completion: [{ role: 'assistant', content: 'Moby Dick.' }],
    });
    // Alpaca's optional input joins the instruction the way Stanford Alpaca's prompt does (a blank line).
    expect(parseSample({ instruction: 'Translate.', input: 'Call me Ishmael.', output: 'x' }, 'l1')).toEqual({
      instruction: 'Translate.\n\nCall me Ishmael.',
      output: 'x',
    });
    expect(toConversation(withSystem).messages.map((message) => message.role)).toEqual([
      'system',
      'user',
      'assistant',
    ]);
  });

  test.prop([
    fc.record({ instruction: fc.string({ minLength: 1 }), output: fc.string({ minLength: 1 }) }),
    fc.option(fc.string(), { nil: undefined }),
    fc.constantFrom(...SAMPLE_FORMATS),
  ])('every format reads back as the pair it was written from', (sample, system, format) => {
    const written = { ...sample, ...(system === undefined ? {} : { system }) };
    const record = JSON.parse(JSON.stringify(formatSample(written, format)));
    expect(parseSample(record, 'x')).toEqual(written);
  });

  it('refuses what is not a single-turn pair, naming the record', () => {
    const bad: Array<[unknown, RegExp]> = [
      [[1, 2], /not a JSON object/],
      [{ messages: [{ role: 'bot', content: 'x' }] }, /messages\[0\]\.role "bot"/],
      [{ messages: [{ role: 'user', content: 1 }] }, /messages\[0\]\.content is not a string/],
      [
        {
          messages: [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: 'b' },
            { role: 'user', content: 'c' },
            { role: 'assistant', content: 'd' },
          ],
        },
        /expected \[system\?, user, assistant\], got \[user, assistant, user, assistant\]/,
      ],
      [{ prompt: 'a', completion: 3 }, /completion is not an array/],
      [{ question: 'a', answer: 'b' }, /not alpaca/],
      [{ instruction: 'a', output: 'b', system: 5 }, /system is not a string/],
    ];
    for (const [value, message] of bad) {
      expect(() => parseSample(value, 'data.jsonl:7')).toThrow(DatasetFormatError);
      expect(() => parseSample(value, 'data.jsonl:7')).toThrow(message);
    }
    // A key like __proto__ from a file is data, not a prototype.
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "instruction": "q", "output": "a"}');
    expect(parseSample(hostile, 'x')).toEqual({ instruction: 'q', output: 'a' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads mixed-format JSONL keeping extra fields, and writes atomically', () => {
    const path = join(root, 'mixed.jsonl');
    writeFileSync(
      path,
      [
        JSON.stringify({ instruction: 'a?', output: 'A.', key: 'k1', model: 'm' }),
        JSON.stringify(formatSample({ instruction: 'b?', output: 'B.' }, 'messages')),
        JSON.stringify(formatSample({ instruction: 'c?', output: 'C.' }, 'prompt-completion')),
      ].join('\n'),
    );
    expect(readTrainingPairs(path)).toEqual([
      { instruction: 'a?', output: 'A.', key: 'k1', model: 'm' },
      { instruction: 'b?', output: 'B.' },
      { instruction: 'c?', output: 'C.' },
    ]);
    writeFileSync(join(root, 'bad.jsonl'), '{"instruction": "a", "output": "b"}\nnot json\n{}\n');
    expect(() => readJsonl(join(root, 'bad.jsonl'))).toThrow(/bad\.jsonl:2: not JSON/);
    const out = join(root, 'out.jsonl');
    writeJsonlAtomic(out, [{ a: 1 }, { b: 2 }]);
    expect(readFileSync(out, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
  });
});

describe('preference pairs (TRL DPO) and Label Studio', () => {
  it('reads standard and conversational pairs and writes them back', () => {
    const standard = { prompt: 'Who wrote Moby-Dick?', chosen: 'Herman Melville.', rejected: 'Mark Twain.' };
    expect(parsePreference(standard, 'p:1')).toEqual(standard);
    expect(formatPreference(standard)).toEqual(standard);
    const conversational = formatPreference({ ...standard, system: 'Be brief.' });
    expect(conversational).toEqual({
      prompt: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Who wrote Moby-Dick?' },
      ],
      chosen: [{ role: 'assistant', content: 'Herman Melville.' }],
      rejected: [{ role: 'assistant', content: 'Mark Twain.' }],
    });
    expect(parsePreference(conversational, 'p:2')).toEqual({ ...standard, system: 'Be brief.' });
    expect(() => parsePreference({ ...standard, rejected: standard.chosen }, 'p:3')).toThrow(/the same text/);
    expect(() => parsePreference({ ...standard, chosen: [{ role: 'user', content: 'x' }] }, 'p:4')).toThrow(
      /chosen must be a string or one assistant message/,
    );
  });

  it('pairs from judge scores: best against worst per prompt when the margin allows', () => {
    const judged = (instruction: string, output: string, score: number) => ({
      instruction,
      output,
      judge: { model: 'j', score, reason: '', key: `${instruction}${output}` },
    });
    const records = [
      judged('q1', 'great', 5),
      judged('q1', 'poor', 2),
      judged('q1', 'fine', 4),
      judged('q2', 'same', 3),
      judged('q2', 'also', 3), // a tie: no pair
      judged('q3', 'alone', 5), // one answer: no pair
      judged('q4', 'good', 4),
      judged('q4', 'ok', 3), // margin 1
    ];
    expect(pairsFromScores(records)).toEqual([
      { prompt: 'q1', chosen: 'great', rejected: 'poor' },
      { prompt: 'q4', chosen: 'good', rejected: 'ok' },
    ]);
    expect(pairsFromScores(records, 2)).toEqual([{ prompt: 'q1', chosen: 'great', rejected: 'poor' }]);
  });

  it('exports pairwise tasks and imports annotations by majority, counting unlabeled and disputed tasks', () => {
    const tasks = toLabelStudioTasks([
      { prompt: 'p1', answer1: 'a1', answer2: 'b1' },
      { prompt: 'p2', answer1: 'a2', answer2: 'b2' },
      { prompt: 'p3', answer1: 'a3', answer2: 'b3' },
      { prompt: 'p4', answer1: 'a4', answer2: 'b4' },
    ]);
    expect(tasks[0]).toEqual({ data: { prompt: 'p1', answer1: 'a1', answer2: 'b1' } });
    // What Label Studio exports after annotation: results of type "pairwise" with value.selected.
    const vote = (selected: string, cancelled = false) => ({
      was_cancelled: cancelled,
      result: [
        { from_name: 'comparison', to_name: 'answer1,answer2', type: 'pairwise', value: { selected } },
      ],
    });
    const exported = [
      { id: 1, ...tasks[0], annotations: [vote('left')] },
      { id: 2, ...tasks[1], annotations: [vote('right'), vote('right'), vote('left')] },
      { id: 3, ...tasks[2], annotations: [vote('left', true)] }, // cancelled only: unlabeled
      { id: 4, ...tasks[3], annotations: [vote('left'), vote('right')] }, // 1–1: disputed
    ];
    expect(fromLabelStudioExport(exported)).toEqual({
      pairs: [
        { prompt: 'p1', chosen: 'a1', rejected: 'b1' },
        { prompt: 'p2', chosen: 'b2', rejected: 'a2' },
      ],
      unlabeled: 1,
      disputed: 1,
    });
    expect(() => fromLabelStudioExport({ tasks: [] })).toThrow(/array of tasks/);
    expect(() => fromLabelStudioExport([{ data: { prompt: 'p' } }], 'export.json')).toThrow(
      /export\.json\[0\]: data needs string prompt, answer1 and answer2/,
    );
    expect(() => fromLabelStudioExport([{ ...tasks[0], annotations: [vote('middle')] }])).toThrow(
      /value\.selected "middle"/,
    );
  });
});
