// Child process of the kill-during-packing test: packs documents slowly (a pause per document) so the
// parent can SIGKILL it between, or during, shard writes. Uses the built package, as a user would.
import { readFileSync } from 'node:fs';
import { setTimeout } from 'node:timers/promises';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { packShards } from '../../dist/index.js';

const [tokenizerPath, documentsPath, directory] = process.argv.slice(2);
const tokenizer = BpeTokenizer.fromJSON(readFileSync(tokenizerPath, 'utf8'));
const documents = JSON.parse(readFileSync(documentsPath, 'utf8'));
async function* slowly() {
  for (const document of documents) {
    await setTimeout(3);
    yield document;
  }
}
await packShards(slowly(), { tokenizer, directory, name: 'train', shardTokens: 256, eos: '<|endoftext|>' });
