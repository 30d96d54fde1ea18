import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-notebooks-'));
const runner = join(import.meta.dirname, 'run-notebooks.mjs');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A notebook of code cells (and one markdown cell first), written to the temp folder. */
function notebook(name: string, cells: string[]): string {
  const path = join(root, name);
  const code = cells.map((source) => ({
    cell_type: 'code',
    metadata: {},
    execution_count: null,
    outputs: [],
    source,
  }));
  const markdown = { cell_type: 'markdown', metadata: {}, source: '# test' };
  writeFileSync(
    path,
    JSON.stringify({ cells: [markdown, ...code], metadata: {}, nbformat: 4, nbformat_minor: 5 }),
  );
  return path;
}
const run = (...args: string[]) => spawnSync(process.execPath, [runner, ...args], { encoding: 'utf8' });

describe('run-notebooks.mjs (tslab, no Jupyter)', () => {
  it('records stdout, display data and execution counts; TypeScript state carries across cells', () => {
    const path = notebook('good.ipynb', [
      "import * as tslab from 'tslab';\nconst n: number = 6 * 7;",
      "console.log('n =', n);\ntslab.display.svg('<svg xmlns=\"http://www.w3.org/2000/svg\"/>');",
    ]);
    const result = run(path);
    expect(result.status, result.stderr).toBe(0);
    const cells = JSON.parse(readFileSync(path, 'utf8')).cells;
    expect(cells[2].execution_count).toBe(2);
    expect(cells[2].outputs[0]).toEqual({ output_type: 'stream', name: 'stdout', text: ['n = 42\n'] });
    expect(cells[2].outputs[1].data).toEqual({
      'image/svg+xml': '<svg xmlns="http://www.w3.org/2000/svg"/>',
    });
  });

  it('a throwing cell or a type error fails the run with exit 1, naming the cell; --check writes nothing', () => {
    const throwing = notebook('throws.ipynb', [
      'const a = 1;',
      "throw new Error('boom at cell 3');",
      'console.log(a);',
    ]);
    const before = readFileSync(throwing, 'utf8');
    const result = run('--check', throwing);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/throws\.ipynb cell 3 failed/);
    expect(result.stdout + result.stderr).toMatch(/boom at cell 3/);
    expect(readFileSync(throwing, 'utf8')).toBe(before);
    const typed = notebook('types.ipynb', ['const s: string = 5;']);
    const typeError = run('--check', typed);
    expect(typeError.status).toBe(1);
    expect(typeError.stdout + typeError.stderr).toMatch(/not assignable to type 'string'/);
  });
});
