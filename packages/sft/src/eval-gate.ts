import { GateError } from './errors.js';
import { type JudgedRecord, summarizeScores } from './judge-dataset.js';

/** Thresholds of {@link evalGate}; each is checked only when given. */
export interface GateThresholds {
  /** Lowest acceptable mean judge score (1–5). */
  readonly minJudgeMean?: number;
  /** Highest acceptable held-out (validation) loss, nats per token. */
  readonly maxValidationLoss?: number;
  /** The held-out loss must fall below the base model's by at least this much (nats). */
  readonly minLossImprovement?: number;
}

/** What the gate measured; `{ before, after }` is a fine-tuning report's validation loss. */
export interface GateInputs {
  readonly judged?: readonly JudgedRecord[];
  readonly validationLoss?: { readonly before: number; readonly after: number };
}

/**
 * The eval gate before export: checks the mean judge score and the held-out loss against their thresholds
 * and returns the lines it checked; throws a {@link GateError} listing every miss (the CLI exits with 2).
 * A threshold whose measurement is missing is a miss too, so a gate can never pass by lack of data.
 *
 * @example
 * ```ts
 * evalGate({ judged, validationLoss: report.validationLoss }, { minJudgeMean: 3.5, maxValidationLoss: 2.5 });
 * // ['judge mean 3.90 ≥ 3.50 (n = 20)', 'held-out loss 2.113 ≤ 2.500']
 * ```
 */
export function evalGate(inputs: GateInputs, thresholds: GateThresholds): string[] {
  const passed: string[] = [];
  const failed: string[] = [];
  const check = (ok: boolean, line: string) => (ok ? passed : failed).push(line);
  if (thresholds.minJudgeMean !== undefined) {
    const { mean, judged } = summarizeScores(inputs.judged ?? []);
    if (judged === 0) failed.push('no judged samples to check the judge mean against');
    else
      check(
        mean >= thresholds.minJudgeMean,
        `judge mean ${mean.toFixed(2)} ${mean >= thresholds.minJudgeMean ? '≥' : '<'} ${thresholds.minJudgeMean.toFixed(2)} (n = ${judged})`,
      );
  }
  const loss = inputs.validationLoss;
  if (thresholds.maxValidationLoss !== undefined) {
    if (!loss) failed.push('no held-out loss to check');
    else
      check(
        loss.after <= thresholds.maxValidationLoss,
        `held-out loss ${loss.after.toFixed(3)} ${loss.after <= thresholds.maxValidationLoss ? '≤' : '>'} ${thresholds.maxValidationLoss.toFixed(3)}`,
      );
  }
  if (thresholds.minLossImprovement !== undefined) {
    if (!loss) failed.push('no held-out loss to check the improvement');
    else {
      const gain = loss.before - loss.after;
      check(
        gain >= thresholds.minLossImprovement,
        `held-out loss ${loss.before.toFixed(3)} → ${loss.after.toFixed(3)} (${gain >= 0 ? '−' : '+'}${Math.abs(gain).toFixed(3)}, needed −${thresholds.minLossImprovement.toFixed(3)})`,
      );
    }
  }
  if (passed.length + failed.length === 0) failed.push('no threshold given: the gate checks nothing');
  if (failed.length) throw new GateError(failed);
  return passed;
}
