import { readFileSync } from 'node:fs';
import {
  DEFAULT_CONFIG,
  type PipelineRunConfig,
  PRESETS,
  STAGES,
  type StageName,
  withChanges,
} from './config.js';

/** `--help`. */
export const HELP = `lm-stack pipeline: raw text → tokenizer → MiniGPT → LoRA chat adapter → GGUF → chat in llama.cpp

usage: pnpm --filter @lm-stack/example-pipeline start [options]

  --preset NAME     default (under 10 minutes on 2 cores), micro (CI: a tiny model, a few documents),
                    long (about an hour: the default model for 1,300 steps, 400 adapter steps)
  --config FILE     a JSON file with any fields of the config (see src/config.ts); applied over the preset
  --data FOLDER     your own .txt/.md/.jsonl files instead of the State of the Union + Moby-Dick default
  --chat FILE       chat JSONL for the fine-tune ({"messages": [...]} or alpaca); default: questions
                    derived from the State of the Union data set's metadata
  --out FOLDER      where everything goes (default pipeline-out); a rerun skips finished stages
  --stages LIST     comma-separated subset of ${STAGES.join(',')}
  --lstm            also train the LSTM on the same data, for comparison
  --help            this text

Every stage records a hash of its inputs and config under <out>/stages/; a rerun skips what is done and a
killed run resumes (pretraining and fine-tuning from their last checkpoint).`;

/** The config a command line asks for, or `help` when it asks for help. */
export function parseArguments(argv: readonly string[]): { config: PipelineRunConfig; help: boolean } {
  let config = DEFAULT_CONFIG;
  const changes: Array<Partial<PipelineRunConfig>> = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new RangeError(`${flag} needs a value`);
      return next;
    };
    if (flag === '--') continue; // `pnpm start -- …` passes the separator through
    if (flag === '--help' || flag === '-h') help = true;
    else if (flag === '--preset') {
      const name = value();
      const preset = PRESETS.get(name);
      if (!preset)
        throw new RangeError(
          `unknown preset ${JSON.stringify(name)}: one of ${[...PRESETS.keys()].join(', ')}`,
        );
      config = withChanges(DEFAULT_CONFIG, preset);
    } else if (flag === '--config')
      changes.push(JSON.parse(readFileSync(value(), 'utf8')) as Partial<PipelineRunConfig>);
    else if (flag === '--data') changes.push({ data: value() });
    else if (flag === '--chat') changes.push({ chat: value() });
    else if (flag === '--out') changes.push({ out: value() });
    else if (flag === '--lstm') changes.push({ lstm: true });
    else if (flag === '--stages') {
      const stages = value().split(',') as StageName[];
      for (const stage of stages)
        if (!STAGES.includes(stage))
          throw new RangeError(`unknown stage ${JSON.stringify(stage)}: one of ${STAGES.join(', ')}`);
      changes.push({ stages });
    } else throw new RangeError(`unknown option ${flag} (see --help)`);
  }
  for (const change of changes) config = withChanges(config, change);
  return { config, help };
}
