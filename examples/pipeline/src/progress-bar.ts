import type { TrainingProgress } from '@lm-stack/transformer';

/**
 * A one-line progress bar (loss, tokens/s, ETA) for a terminal, redrawn in place; where output is not a
 * terminal (CI logs), a plain line every tenth of the run.
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const width = 24;
  return (progress: TrainingProgress) => {
    const done = progress.step / progress.steps;
    const filled = Math.round(done * width);
    const validation = progress.validation ? `, validation ${progress.validation.loss.toFixed(3)}` : '';
    const line =
      `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${progress.step}/${progress.steps}` +
      ` loss ${progress.loss.toFixed(3)}${validation}, ${Math.round(progress.tokensPerSecond)} tok/s, ETA ${Math.ceil(progress.etaSeconds)} s`;
    if (stream.isTTY) stream.write(`\r${line.padEnd(110)}${progress.step === progress.steps ? '\n' : ''}`);
    else if (
      progress.step === progress.steps ||
      progress.step % Math.max(1, Math.round(progress.steps / 10)) === 0
    )
      stream.write(`${line}\n`);
  };
}
