import type { MiniGpt } from '@lm-stack/transformer';
import { rotateHalfRows } from '@lm-stack/transformer/node';
import type { LoraTarget } from './lora-config.js';

/** PEFT's module names in a Hugging Face `LlamaForCausalLM`, per target. */
export const PEFT_MODULES = new Map<LoraTarget, string>([
  ['attn_q', 'q_proj'],
  ['attn_k', 'k_proj'],
  ['attn_v', 'v_proj'],
  ['attn_output', 'o_proj'],
  ['ffn_gate', 'gate_proj'],
  ['ffn_up', 'up_proj'],
  ['ffn_down', 'down_proj'],
  ['output', 'lm_head'],
]);

const PARENTS = new Map<LoraTarget, string>([
  ['attn_q', 'self_attn'],
  ['attn_k', 'self_attn'],
  ['attn_v', 'self_attn'],
  ['attn_output', 'self_attn'],
  ['ffn_gate', 'mlp'],
  ['ffn_up', 'mlp'],
  ['ffn_down', 'mlp'],
]);

/** The target of a matrix name: `blk.3.attn_q` → `attn_q`, `output` → `output`. */
export function targetOf(matrix: string): LoraTarget {
  return (matrix === 'output' ? 'output' : matrix.split('.')[2]) as LoraTarget;
}

/** PEFT's key prefix of a matrix: `blk.3.attn_q` → `base_model.model.model.layers.3.self_attn.q_proj`. */
export function peftPrefix(matrix: string): string {
  const target = targetOf(matrix);
  if (target === 'output') return 'base_model.model.lm_head';
  const layer = matrix.split('.')[1];
  return `base_model.model.model.layers.${layer}.${PARENTS.get(target)}.${PEFT_MODULES.get(target)}`;
}

/**
 * For q/k, the Hugging Face row order of the matrix's outputs (rotate-half RoPE, as the Hugging Face export
 * writes the base): row j of theirs is row order[j] of ours. Undefined for other matrices.
 */
export function huggingFaceRowOrder(base: MiniGpt, matrix: string): Int32Array | undefined {
  const target = targetOf(matrix);
  const headDim = base.config.dModel / base.config.nHeads;
  if (target === 'attn_q') return rotateHalfRows(base.config.nHeads, headDim);
  if (target === 'attn_k') return rotateHalfRows(base.kvHeads, headDim);
  return undefined;
}
