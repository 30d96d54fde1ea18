// Loaded (with --import) into the process that runs one guide's code blocks. It records what each block
// prints, and gives the blocks `guide.svg(name, svg)` (a chart, saved as an image beside the guide) and
// `guide.markdown(text)` (a table or a paragraph, inserted as Markdown). run-guides.mjs writes the records
// back into the guide after the run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';

const resultsPath = process.env.GUIDE_RESULTS;
const imagesFolder = process.env.GUIDE_IMAGES;
const guideName = process.env.GUIDE_NAME;
if (!resultsPath || !imagesFolder || !guideName)
  throw new Error(
    'guide-runtime: run through run-guides.mjs (GUIDE_RESULTS, GUIDE_IMAGES, GUIDE_NAME unset)',
  );

/** Outputs per block: { kind: 'text' | 'markdown' | 'image', text }. */
const blocks = [];
let current;
const realWrite = process.stdout.write.bind(process.stdout);

function save() {
  writeFileSync(resultsPath, JSON.stringify({ blocks }));
}

function capture(text) {
  if (!current) return;
  const last = current[current.length - 1];
  if (last?.kind === 'text') last.text += text;
  else current.push({ kind: 'text', text });
}

// Everything a block prints (console.log, process.stdout.write) is its output; it is echoed to stderr so a
// long run shows progress.
process.stdout.write = (chunk, ...rest) => {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  capture(text);
  return process.stderr.write(text, ...rest);
};
console.log = (...parts) => process.stdout.write(`${format(...parts)}\n`);

globalThis.guide = {
  /** Starts block `index`'s outputs (called by the generated script before each block). */
  begin(index) {
    current = [];
    blocks[index] = current;
    save();
  },
  /** Saves `svg` as `images/<guide>-<name>.svg` and shows it after the block's text. */
  svg(name, svg) {
    if (!/^[a-z0-9-]+$/.test(name))
      throw new Error(`guide.svg: name ${JSON.stringify(name)} is not kebab-case`);
    mkdirSync(imagesFolder, { recursive: true });
    const file = `${guideName}-${name}.svg`;
    writeFileSync(join(imagesFolder, file), `${svg}\n`);
    current.push({ kind: 'image', text: `images/${file}` });
  },
  /** Inserts `text` as Markdown (a table, a list) after the block. */
  markdown(text) {
    current.push({ kind: 'markdown', text: text.trimEnd() });
  },
  /** Called after the last block. */
  finish() {
    save();
    realWrite('');
  },
};
