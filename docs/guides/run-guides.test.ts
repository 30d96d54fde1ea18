import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { parseGuide, renderOutput } from './run-guides.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
// Inside the repository (Biome formats only files under its root), removed afterwards.
const folder = join(here, `.test-${process.pid}`);
mkdirSync(folder, { recursive: true });
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const GUIDE = [
  '# A guide',
  '',
  '```ts run',
  'const answer = 6 * 7;',
  "console.log('answer', answer);",
  '```',
  '',
  'Prose between the blocks.',
  '',
  '```ts run',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the guide's code, as text
  'guide.markdown(`| x | x² |\\n| --- | --- |\\n| ${answer} | ${answer ** 2} |`);',
  '```',
  '',
  '```ts',
  'not run: no "run" in the fence',
  '```',
  '',
].join('\n');

function runGuides(...args: string[]) {
  return spawnSync(process.execPath, [join(here, 'run-guides.mjs'), ...args], { encoding: 'utf8' });
}

describe('parseGuide', () => {
  it('finds the run blocks only, and hashes all the code up to each block', () => {
    const { blocks } = parseGuide(GUIDE);
    expect(blocks.map((block: { code: string }) => block.code)).toEqual([
      "const answer = 6 * 7;\nconsole.log('answer', answer);",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the guide's code, as text
      'guide.markdown(`| x | x² |\\n| --- | --- |\\n| ${answer} | ${answer ** 2} |`);',
    ]);
    // Block 2's output depends on block 1's code, so its hash does too.
    const edited = parseGuide(GUIDE.replace('6 * 7', '6 * 8')).blocks;
    expect(edited[0].hash).not.toBe(blocks[0].hash);
    expect(edited[1].hash).not.toBe(blocks[1].hash);
    // Trailing whitespace is not code.
    expect(parseGuide(GUIDE.replace('6 * 7;', '6 * 7;   ')).blocks[1].hash).toBe(blocks[1].hash);
  });

  it('rejects an unclosed block or output region', () => {
    expect(() => parseGuide('```ts run\nconst x = 1;\n')).toThrow(/unclosed/);
    expect(() => parseGuide('```ts run\nx\n```\n\n<!-- output 0123456789ab: x -->\n')).toThrow(
      /unclosed output/,
    );
  });

  it('renders text, Markdown and images between the markers', () => {
    expect(
      renderOutput('0123456789ab', [
        { kind: 'text', text: 'hello\n\n' },
        { kind: 'markdown', text: '| a |' },
        { kind: 'image', text: 'images/g-chart.svg' },
      ]),
    ).toBe(
      [
        '<!-- output 0123456789ab: written by run-guides.mjs from a real run; do not edit -->',
        '```text\nhello\n```',
        '| a |',
        '![g-chart](images/g-chart.svg)',
        '<!-- /output -->',
      ].join('\n\n'),
    );
  });
});

describe('run-guides.mjs', () => {
  it('writes each block’s output after it; --check then passes, and fails once the code changes', () => {
    const path = join(folder, 'numbers.md');
    writeFileSync(path, GUIDE);
    expect(runGuides('--check', path).status).toBe(1); // no outputs yet
    const written = runGuides(path);
    expect(written.status, written.stderr).toBe(0);
    const text = readFileSync(path, 'utf8');
    // 42 and 42² = 1764 come from running the blocks.
    expect(text).toContain('```text\nanswer 42\n```');
    expect(text).toMatch(/\| 42 +\| 1764 +\|/);
    expect(text).toContain('Prose between the blocks.');
    // Running again replaces the regions instead of adding more.
    expect(runGuides(path).status).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(runGuides('--check', path).status).toBe(0);

    writeFileSync(path, text.replace('6 * 7', '6 * 8'));
    const stale = runGuides('--check', path);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/numbers\.md line 4: its output is from other code/);
  }, 60_000);

  it('type-checks the blocks first: a type error fails at its guide line, and nothing runs', () => {
    const path = join(folder, 'typed.md');
    writeFileSync(path, "# Typed\n\n```ts run\nconsole.log('ran');\nconst n: number = 'seven';\n```\n");
    const result = runGuides('--check', path);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /typed\.md line 5: error TS2322: Type 'string' is not assignable to type 'number'/,
    );
    expect(result.stderr).not.toContain('ran');
  }, 60_000);

  it('fails, naming the block, when a block throws', () => {
    const path = join(folder, 'broken.md');
    const broken =
      "# Broken\n\n```ts run\nconsole.log(1);\n```\n\n```ts run\nthrow new Error('boom');\n```\n";
    writeFileSync(path, broken);
    const result = runGuides(path);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('boom');
    expect(result.stderr).toMatch(/broken\.md: the block at line 8 failed/);
    expect(readFileSync(path, 'utf8')).toBe(broken); // nothing written
  }, 60_000);
});
