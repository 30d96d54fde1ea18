// Runs the whole pipeline (no packing) on one big JSONL file with the built package, in its own process,
// and prints its time and peak memory as JSON. Started by bench/pipeline.ts.
import { runPipeline } from '../dist/index.js';

const [input, directory] = process.argv.slice(2);
const start = performance.now();
const result = await runPipeline({ inputs: [input], directory });
console.log(
  JSON.stringify({
    seconds: (performance.now() - start) / 1000,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    kept: Object.values(result.splits).reduce((sum, split) => sum + split.documents, 0),
    summary: result.summary,
  }),
);
