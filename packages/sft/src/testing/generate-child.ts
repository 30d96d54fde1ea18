// The kill -9 test's child: generates 60 samples against the given server, printing each written one.
import { ChatClient } from '../chat-client.js';
import { generateDataset } from '../generate-dataset.js';

const [url, output, rejected] = process.argv.slice(2);
const client = new ChatClient({ provider: 'openai', model: 'helper', baseURL: `${url}/v1`, baseDelayMs: 5 });
let written = 0;
await generateDataset({
  client,
  items: Array.from({ length: 60 }, (_, i) => ({ topic: `topic ${i}` })),
  output: output!,
  rejected: rejected!,
  concurrency: 3,
  onProgress: (progress) => {
    while (written < progress.written) console.log(`written ${++written}`);
  },
});
