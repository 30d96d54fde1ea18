#!/usr/bin/env node
// Executes the ```ts run blocks of the guides in this folder, in order, as one TypeScript module per guide
// (later blocks see earlier blocks' names, as in a notebook), in a fresh working folder. What each block
// prints, and the charts and tables it shows through `guide.svg` / `guide.markdown`, is written back after
// the block between `<!-- output … -->` and `<!-- /output -->`. The marker holds a hash of the code up to
// that block, so outputs left over from older code are caught.
//
//   node run-guides.mjs [guide.md ...]          execute and write the outputs into the guides
//   node run-guides.mjs --check [guide.md ...]  execute, write nothing; fail when a block throws or when
//                                                a guide's outputs are not those of its current code (CI)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const OPEN = /^```ts run\s*$/;
const FENCE = /^```\s*$/;
const OUTPUT_OPEN = /^<!-- output ([0-9a-f]{12})\b.*-->\s*$/;
const OUTPUT_CLOSE = /^<!-- \/output -->\s*$/;
/** A guide that runs longer than this fails (the slowest takes about two minutes). */
const TIMEOUT_MS = 15 * 60_000;

/**
 * Splits a guide into its run blocks: each with its code, the line range of the block and of the output
 * region after it (when there is one), and the hash of all code up to and including it.
 */
export function parseGuide(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  const hash = createHash('sha256');
  for (let i = 0; i < lines.length; i++) {
    if (!OPEN.test(lines[i])) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && !FENCE.test(lines[end])) end++;
    if (end === lines.length) throw new Error(`unclosed \`\`\`ts run block at line ${start + 1}`);
    const code = lines.slice(start + 1, end).join('\n');
    hash.update(`${code.replace(/\s+$/gm, '').trim()}\n\0`);
    const block = { code, start, end, line: start + 2, hash: hash.copy().digest('hex').slice(0, 12) };
    let next = end + 1;
    while (next < lines.length && lines[next].trim() === '') next++;
    const marker = OUTPUT_OPEN.exec(lines[next] ?? '');
    if (marker) {
      let close = next + 1;
      while (close < lines.length && !OUTPUT_CLOSE.test(lines[close])) close++;
      if (close === lines.length) throw new Error(`unclosed output region at line ${next + 1}`);
      block.output = { start: next, end: close, hash: marker[1] };
      i = close;
    } else i = end;
    blocks.push(block);
  }
  return { lines, blocks };
}

/** The Markdown of one block's recorded outputs, between the markers. */
export function renderOutput(hash, outputs) {
  const parts = [`<!-- output ${hash}: written by run-guides.mjs from a real run; do not edit -->`];
  for (const output of outputs) {
    if (output.kind === 'text') {
      const text = output.text.replace(/\s+$/, '');
      if (text) parts.push(`\`\`\`text\n${text}\n\`\`\``);
    } else if (output.kind === 'image') parts.push(`![${basename(output.text, '.svg')}](${output.text})`);
    else parts.push(output.text);
  }
  parts.push('<!-- /output -->');
  return parts.join('\n\n');
}

/**
 * Writes a guide's blocks as one script beside the guides (so a block can import this folder's helpers,
 * `./charts.ts`); returns its path and a map from script lines to guide lines.
 */
function writeScript(path, blocks) {
  const name = basename(path, '.md');
  const script = join(here, `.${name}.run.ts`);
  const lines = [];
  const guideLines = []; // guideLines[scriptLine - 1] = the guide's line, for the code lines
  for (const [index, block] of blocks.entries()) {
    lines.push(`// ${basename(path)} line ${block.line}`, `guide.begin(${index});`);
    guideLines.push(undefined, undefined);
    for (const [offset, line] of block.code.split('\n').entries()) {
      lines.push(line);
      guideLines.push(block.line + offset);
    }
  }
  lines.push('guide.finish();', 'export {};', '');
  writeFileSync(script, lines.join('\n'));
  return { script, guideLines };
}

/**
 * Type-checks the guides' scripts in one TypeScript run with the repository's strict settings and the
 * `guide` global (guide.d.ts); returns the errors at their guide lines.
 */
function typecheck(prepared) {
  const config = join(here, '.guides.tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: '../../tsconfig.base.json',
      compilerOptions: {
        noEmit: true,
        allowImportingTsExtensions: true,
        declaration: false,
        sourceMap: false,
      },
      files: ['guide.d.ts', ...prepared.map(({ script }) => basename(script))],
    }),
  );
  const tsc = join(here, '..', '..', 'node_modules', '.bin', 'tsc');
  const result = spawnSync(tsc, ['-p', config, '--pretty', 'false'], { encoding: 'utf8' });
  rmSync(config, { force: true });
  if (result.status === 0) return [];
  const byScript = new Map(prepared.map((guide) => [basename(guide.script), guide]));
  return result.stdout
    .split('\n')
    .filter((line) => /^\S.*\(\d+,\d+\): error/.test(line))
    .map((line) => {
      const [, file, row, message] = /^(.*?)\((\d+),\d+\): (.*)$/.exec(line);
      const guide = byScript.get(basename(file));
      const at = guide?.guideLines[Number(row) - 1];
      return guide && at ? `${basename(guide.path)} line ${at}: ${message}` : line;
    });
}

/** Runs a guide's script in a child process; returns each block's outputs, or throws with the failure. */
function execute(path, blocks, script, imagesFolder) {
  const name = basename(path, '.md');
  const work = mkdtempSync(join(tmpdir(), `guide-${name}-`));
  const results = join(work, '.guide-results.json');
  try {
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        '--import',
        pathToFileURL(join(here, 'guide-runtime.mjs')).href,
        script,
      ],
      {
        cwd: work,
        env: { ...process.env, GUIDE_RESULTS: results, GUIDE_IMAGES: imagesFolder, GUIDE_NAME: name },
        stdio: ['ignore', 'inherit', 'inherit'],
        timeout: TIMEOUT_MS,
      },
    );
    const recorded = existsSync(results) ? JSON.parse(readFileSync(results, 'utf8')).blocks : [];
    if (child.status !== 0 || recorded.length !== blocks.length) {
      const failed = blocks[Math.max(0, recorded.length - 1)];
      const reason = child.error ? child.error.message : `exit ${child.status ?? child.signal}`;
      throw new Error(
        `${basename(path)}: the block at line ${failed.line} failed (${reason}); script ${script}`,
      );
    }
    return recorded;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Formats a guide with the repository's Biome (the lint step checks Markdown, tables included). */
function formatMarkdown(path) {
  const biome = join(here, '..', '..', 'node_modules', '.bin', 'biome');
  const result = spawnSync(biome, ['format', '--write', path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`biome format ${path}: ${result.stderr || result.stdout}`);
}

/** Formats (unless checking) and parses a guide, and writes its script; undefined when it has no run blocks. */
function prepare(path, check) {
  // Biome formats the code in Markdown fences too: format first, so the hashes are of the code as committed.
  if (!check) formatMarkdown(path);
  const { lines, blocks } = parseGuide(readFileSync(path, 'utf8'));
  if (blocks.length === 0) return undefined;
  return { path, lines, blocks, ...writeScript(path, blocks) };
}

/** Runs one prepared guide; writes its outputs back unless checking. Returns its problems (empty when fine). */
function runGuide({ path, lines, blocks, script }, check) {
  const name = basename(path, '.md');
  const imagesFolder = check ? mkdtempSync(join(tmpdir(), `guide-images-${name}-`)) : join(here, 'images');
  if (!check && existsSync(imagesFolder))
    for (const file of readdirSync(imagesFolder))
      if (file.startsWith(`${name}-`)) rmSync(join(imagesFolder, file));
  const started = performance.now();
  try {
    const outputs = execute(path, blocks, script, imagesFolder);
    console.error(
      `${basename(path)}: ${blocks.length} blocks ran in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    if (check) {
      const problems = [];
      for (const block of blocks) {
        if (!block.output)
          problems.push(`${basename(path)} line ${block.line}: no output region after the block`);
        else if (block.output.hash !== block.hash)
          problems.push(
            `${basename(path)} line ${block.line}: its output is from other code (run run-guides.mjs ${basename(path)})`,
          );
        for (const output of outputs[blocks.indexOf(block)])
          if (output.kind === 'image' && !existsSync(join(here, output.text)))
            problems.push(`${basename(path)} line ${block.line}: ${output.text} is not checked in`);
      }
      return problems;
    }
    // Replace the regions from the end, so earlier line numbers stay valid.
    for (let index = blocks.length - 1; index >= 0; index--) {
      const block = blocks[index];
      const region = renderOutput(block.hash, outputs[index]).split('\n');
      if (block.output)
        lines.splice(block.output.start, block.output.end - block.output.start + 1, ...region);
      else lines.splice(block.end + 1, 0, '', ...region);
    }
    const partial = `${path}.partial`;
    writeFileSync(partial, lines.join('\n'));
    renameSync(partial, path);
    formatMarkdown(path);
    return [];
  } finally {
    if (check) rmSync(imagesFolder, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const named = args.filter((arg) => arg !== '--check');
  const guides = named.length
    ? named.map((path) => resolve(path))
    : readdirSync(here)
        .filter((file) => file.endsWith('.md'))
        .sort()
        .map((file) => join(here, file));
  const problems = [];
  const prepared = [];
  for (const path of guides) {
    try {
      const guide = prepare(path, check);
      if (guide) prepared.push(guide);
    } catch (error) {
      problems.push(error.message);
    }
  }
  // A guide whose code does not type-check is not run: its readers would copy code that does not compile.
  problems.push(...typecheck(prepared));
  if (problems.length === 0)
    for (const guide of prepared) {
      try {
        problems.push(...runGuide(guide, check));
      } catch (error) {
        problems.push(error.message);
      }
    }
  for (const problem of problems) console.error(`run-guides: ${problem}`);
  process.exit(problems.length ? 1 : 0);
}
