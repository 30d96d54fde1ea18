#!/usr/bin/env node
// Runs tslab notebooks headless, without Jupyter: each code cell goes through tslab's own converter and
// executor (the code path of its kernel), with stdout/stderr captured as stream outputs and
// `tslab.display.*` as display outputs. A cell that fails stops the notebook and the run exits with 1.
//
//   node run-notebooks.mjs [file.ipynb ...]          execute and write the outputs into the notebooks
//   node run-notebooks.mjs --check [file.ipynb ...]  execute, write nothing (CI: a broken notebook fails)
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { createConverter } = require('tslab/dist/converter');
const { createExecutor } = require('tslab/dist/executor');
const jupyter = require('tslab/dist/jupyter');

const args = process.argv.slice(2);
const check = args.includes('--check');
const named = args.filter((arg) => arg !== '--check');
const notebooks = named.length
  ? named.map((path) => resolve(path))
  : readdirSync(here)
      .filter((name) => name.endsWith('.ipynb'))
      .sort()
      .map((name) => join(here, name));

// tslab's TypeScript service resolves imports from the working folder: the notebooks' package.
process.chdir(here);

const lines = (text) => text.split(/(?<=\n)/);

/** Executes one notebook's code cells in order; returns the notebook with fresh outputs, or throws. */
async function run(path) {
  const notebook = JSON.parse(readFileSync(path, 'utf8'));
  const converters = {
    node: createConverter({ isJS: false, isBrowser: false }),
    browser: createConverter({ isJS: false, isBrowser: true }),
    close() {
      this.node.close();
      this.browser.close();
    },
  };
  let outputs = [];
  const stream = (name, text) => {
    const last = outputs[outputs.length - 1];
    if (last?.output_type === 'stream' && last.name === name) last.text.push(...lines(text));
    else outputs.push({ output_type: 'stream', name, text: lines(text) });
  };
  const errors = [];
  const executor = createExecutor(here, converters, {
    log: (...parts) => stream('stdout', `${format(...parts)}\n`),
    error: (...parts) => {
      errors.push(format(...parts));
      stream('stderr', `${format(...parts)}\n`);
    },
  });
  jupyter.lastWriteDisplayData = (display) =>
    outputs.push({ output_type: 'display_data', data: display.data, metadata: display.metadata ?? {} });
  const write = { stdout: process.stdout.write, stderr: process.stderr.write };
  let count = 0;
  try {
    for (const [index, cell] of notebook.cells.entries()) {
      if (cell.cell_type !== 'code') continue;
      outputs = [];
      process.stdout.write = (chunk) => {
        stream('stdout', typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      };
      process.stderr.write = (chunk) => {
        stream('stderr', typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      };
      const started = performance.now();
      const ok = await executor.execute(Array.isArray(cell.source) ? cell.source.join('') : cell.source);
      process.stdout.write = write.stdout;
      process.stderr.write = write.stderr;
      cell.execution_count = ++count;
      cell.outputs = outputs;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`  cell ${index + 1}: ${ok ? 'ok' : 'FAILED'} in ${seconds} s`);
      if (!ok)
        throw new Error(
          `${basename(path)} cell ${index + 1} failed:\n${errors.join('\n') || 'see its stderr'}`,
        );
    }
  } finally {
    process.stdout.write = write.stdout;
    process.stderr.write = write.stderr;
    executor.close();
    converters.close();
  }
  return notebook;
}

let failed = 0;
for (const path of notebooks) {
  console.log(`${basename(path)}${check ? ' (check)' : ''}`);
  try {
    const notebook = await run(path);
    if (!check) {
      const temporary = `${path}.partial`;
      writeFileSync(temporary, `${JSON.stringify(notebook, null, 1)}\n`);
      renameSync(temporary, path);
    }
  } catch (error) {
    failed++;
    console.error(error instanceof Error ? error.message : error);
  }
}
if (failed) {
  console.error(`${failed} of ${notebooks.length} notebooks failed`);
  process.exit(1);
}
process.exit(0); // tfjs and tslab keep handles open
