import type { SeededRandom } from './random.js';

/** How the next token is chosen from the logits. */
export interface SamplingOptions {
  /** 0 picks the most likely token (greedy). Default 1. */
  readonly temperature?: number;
  /** Keep only the k most likely tokens. 0 = off (default). */
  readonly topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p. 1 = off (default). */
  readonly topP?: number;
  /** Drop tokens less likely than minP × the top probability. 0 = off (default). */
  readonly minP?: number;
  /** Divide positive logits (multiply negative ones) of recently generated tokens by this. 1 = off (default). */
  readonly repetitionPenalty?: number;
  /** How many recent tokens the penalty looks at. Default 64 (llama.cpp's `repeat_last_n`). */
  readonly repetitionWindow?: number;
}

/**
 * Picks the next token: repetition penalty (as llama.cpp's: logit / penalty if positive, × penalty if not,
 * for tokens in the window), then temperature, top-k, top-p and min-p on the probabilities, then a draw
 * from `random`. With temperature 0 it is the argmax of the penalised logits.
 *
 * @example
 * ```ts
 * const id = sampleToken(logits, { temperature: 0.8, topP: 0.95 }, recent, random);
 * ```
 */
export function sampleToken(
  logits: Float32Array,
  options: SamplingOptions,
  recent: readonly number[],
  random: SeededRandom,
): number {
  const scores = Float64Array.from(logits);
  const penalty = options.repetitionPenalty ?? 1;
  if (penalty !== 1)
    for (const id of new Set(recent.slice(-(options.repetitionWindow ?? 64))))
      scores[id] = scores[id]! > 0 ? scores[id]! / penalty : scores[id]! * penalty;
  const temperature = options.temperature ?? 1;
  if (temperature <= 0) {
    let best = 0;
    for (let id = 1; id < scores.length; id++) if (scores[id]! > scores[best]!) best = id;
    return best;
  }
  // Candidates by decreasing score, with softmax probabilities at this temperature.
  let order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
  if (options.topK && options.topK > 0) order = order.slice(0, options.topK);
  const top = scores[order[0]!]!;
  let weights = order.map((id) => Math.exp((scores[id]! - top) / temperature));
  const normalise = () => {
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    weights = weights.map((weight) => weight / total);
  };
  normalise();
  const topP = options.topP ?? 1;
  if (topP < 1) {
    let cumulative = 0;
    let keep = 0;
    while (keep < weights.length && cumulative < topP) cumulative += weights[keep++]!;
    order = order.slice(0, keep);
    weights = weights.slice(0, keep);
    normalise();
  }
  const minP = options.minP ?? 0;
  if (minP > 0) {
    const floor = weights[0]! * minP;
    const keep = weights.filter((weight) => weight >= floor).length;
    order = order.slice(0, keep);
    weights = weights.slice(0, keep);
    normalise();
  }
  let draw = random.next();
  for (let i = 0; i < order.length; i++) {
    draw -= weights[i]!;
    if (draw < 0) return order[i]!;
  }
  return order[order.length - 1]!;
}
