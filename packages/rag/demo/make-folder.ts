/**
 * Writes a small mixed folder to try lm-rag on: the repository's guides (Markdown), a two-page PDF and a
 * DOCX (written by pdfkit and docx), an HTML page, a JSONL file, and one file that is not what it says.
 * Run: pnpm --filter @lm-stack/rag demo:folder <folder>
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDocx, makePdf } from '../src/testing/fixtures.js';

const folder = process.argv[2];
if (!folder) throw new Error('usage: demo:folder <folder>');
const guides = join(import.meta.dirname, '..', '..', '..', 'docs', 'guides');
mkdirSync(join(folder, 'guides'), { recursive: true });
for (const name of readdirSync(guides))
  if (name.endsWith('.md')) copyFileSync(join(guides, name), join(folder, 'guides', name));
writeFileSync(
  join(folder, 'ship-log.pdf'),
  await makePdf(
    [
      'Day 1. Left Nantucket at dawn with a light westerly wind. All hands well.',
      'Day 2. A gale from the north-east; reefed the topsails and hove to until the evening watch.',
    ],
    { title: 'Ship log' },
  ),
);
writeFileSync(
  join(folder, 'provisions.docx'),
  await makeDocx(
    [
      'Provisions for a three-year voyage: ship biscuit, salt beef, water casks and rum.',
      'Whale oil is stored below in casks.',
    ],
    'Provisions',
  ),
);
writeFileSync(
  join(folder, 'harbour.html'),
  '<title>Harbour rules</title><h1>Harbour rules</h1><p>Ships anchor in the outer harbour at night.</p><p>No fires on deck while loading oil.</p>',
);
writeFileSync(
  join(folder, 'faq.jsonl'),
  '{"text":"How long is a whaling voyage? Often three or four years."}\n{"text":"Who keeps the log? The first mate."}\n',
);
writeFileSync(join(folder, 'scan.pdf'), 'this was never a PDF');
console.log(`wrote ${folder}`);
