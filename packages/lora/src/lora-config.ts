import { LoraConfigError } from './errors.js';

/** MiniGPT matrices an adapter can sit on (GGUF names without the block prefix). */
export const LORA_TARGETS = [
  'attn_q',
  'attn_k',
  'attn_v',
  'attn_output',
  'ffn_gate',
  'ffn_up',
  'ffn_down',
  'output',
] as const;

/** One of {@link LORA_TARGETS}. */
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** LoRA settings as a user writes them; see {@link parseLoraConfig} for the defaults. */
export interface LoraConfigInput {
  /** Rank r of the update B·A. */
  readonly rank: number;
  /** Scale numerator α. Default: 2 · rank. */
  readonly alpha?: number;
  /** Dropout on the adapter's input while training. Default 0. */
  readonly dropout?: number;
  /** rsLoRA: scale α/√r instead of α/r (keeps updates stable at high rank). Default false. */
  readonly rsLora?: boolean;
  /** Matrices to adapt. Default: all but `output`. */
  readonly targets?: readonly LoraTarget[];
}

/** Validated LoRA settings. */
export interface LoraConfig {
  readonly rank: number;
  readonly alpha: number;
  readonly dropout: number;
  readonly rsLora: boolean;
  readonly targets: readonly LoraTarget[];
}

// A rank beyond this is not low rank for any model this package trains; it also bounds files we read.
const MAX_RANK = 4096;

/**
 * Checks LoRA settings and fills the defaults (α = 2r, no dropout, α/r scaling, every matrix but the head).
 *
 * @example
 * ```ts
 * parseLoraConfig({ rank: 8 }); // { rank: 8, alpha: 16, dropout: 0, rsLora: false, targets: ['attn_q', …, 'ffn_down'] }
 * ```
 */
export function parseLoraConfig(input: LoraConfigInput): LoraConfig {
  const { rank } = input;
  if (!Number.isInteger(rank) || rank < 1 || rank > MAX_RANK)
    throw new LoraConfigError('rank', rank, `must be an integer from 1 to ${MAX_RANK}`);
  const alpha = input.alpha ?? 2 * rank;
  if (!Number.isFinite(alpha) || alpha <= 0)
    throw new LoraConfigError('alpha', alpha, 'must be a positive number');
  const dropout = input.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new LoraConfigError('dropout', dropout, 'must be in [0, 1)');
  const targets = input.targets ?? LORA_TARGETS.filter((target) => target !== 'output');
  if (targets.length === 0) throw new LoraConfigError('targets', targets, 'must name at least one matrix');
  for (const target of targets)
    if (!LORA_TARGETS.includes(target))
      throw new LoraConfigError('targets', target, `must be one of ${LORA_TARGETS.join(', ')}`);
  if (new Set(targets).size !== targets.length)
    throw new LoraConfigError('targets', targets, 'must not repeat a matrix');
  return { rank, alpha, dropout, rsLora: input.rsLora ?? false, targets: [...targets] };
}

/**
 * The factor on B·A·x: α/r, or α/√r with rsLoRA (PEFT's `scaling`).
 *
 * @example
 * ```ts
 * loraScaling(parseLoraConfig({ rank: 16, alpha: 32 })); // 2
 * loraScaling(parseLoraConfig({ rank: 16, alpha: 32, rsLora: true })); // 8
 * ```
 */
export function loraScaling(config: LoraConfig): number {
  return config.rsLora ? config.alpha / Math.sqrt(config.rank) : config.alpha / config.rank;
}
