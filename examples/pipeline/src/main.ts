import { resolve } from 'node:path';
import { HELP, parseArguments } from './cli.js';
import { GateError, runPipelineStages } from './pipeline.js';
import { writeReport } from './report.js';

const { config, help } = parseArguments(process.argv.slice(2));
if (help) {
  console.log(HELP);
  process.exit(0);
}
const started = performance.now();
try {
  const run = await runPipelineStages(config);
  const report = await writeReport(config, run);
  console.log(`\n${report}`);
  console.log(
    `\nreport: ${config.out}/report.txt, charts: ${config.out}/loss.svg (.png), manifest: ${config.out}/manifest.json` +
      ` — ${((performance.now() - started) / 1000).toFixed(0)} s in all`,
  );
  const served = resolve(config.out, 'export');
  console.log(
    `\nserve it to openai/ollama clients: pnpm --filter @lm-stack/server cli --model ${served}/model-q8_0.gguf --name sotu` +
      ` --adapter chat=${served}/adapter.gguf   (then model "sotu+chat" at http://127.0.0.1:11435/v1)`,
  );
} catch (error) {
  if (error instanceof GateError) {
    console.error(`\nevaluation gate failed: ${error.message}`);
    process.exit(2);
  }
  // One clear line (the stack with DEBUG=1): tfjs's wasm module would otherwise print its whole source.
  console.error(`\npipeline failed: ${error instanceof Error ? error.message : String(error)}`);
  if (process.env.DEBUG) console.error(error);
  process.exit(1);
}
