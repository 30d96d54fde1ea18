import type { MiniGpt } from '@lm-stack/transformer';
import * as tf from '@tensorflow/tfjs';
import type { LoraAdapter } from './lora-adapter.js';

function apply(base: MiniGpt, adapter: LoraAdapter, scale: number, sign: 1 | -1): void {
  for (const name of adapter.pairs.keys()) {
    const weight = base.parameters.get(name)!;
    const merged = tf.tidy(() => weight.add(adapter.delta(name, scale * sign)));
    weight.assign(merged);
    merged.dispose();
  }
}

/**
 * Adds the adapter into the base's weights in place, W ← W + s·A·B, so the base alone computes base +
 * adapter at no extra cost (and exports as one GGUF for runtimes that refuse adapters).
 *
 * @example
 * ```ts
 * mergeAdapter(base, adapter); // base now answers like base + adapter
 * unmergeAdapter(base, adapter); // and back (to float rounding)
 * ```
 */
export function mergeAdapter(base: MiniGpt, adapter: LoraAdapter, scale = 1): void {
  apply(base, adapter, scale, 1);
}

/**
 * Subtracts a merged adapter again, W ← W − s·A·B (exact up to float32 rounding of the add and subtract).
 *
 * @example
 * ```ts
 * unmergeAdapter(base, adapter, 0.5); // undoes mergeAdapter(base, adapter, 0.5)
 * ```
 */
export function unmergeAdapter(base: MiniGpt, adapter: LoraAdapter, scale = 1): void {
  apply(base, adapter, scale, -1);
}
