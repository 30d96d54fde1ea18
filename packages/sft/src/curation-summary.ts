import type { DropReason } from './curate-dataset.js';

/** Tokens and cost of the kept samples of one `provider/model`. */
export interface ModelTotals {
  kept: number;
  promptTokens: number;
  completionTokens: number;
  /** Present when the API reported a cost for any of them. */
  cost?: number;
}

/** The summary JSON of a curation run. */
export interface CurationSummary {
  readonly read: number;
  readonly kept: number;
  readonly dropped: Record<string, number>;
  /** Keyed `provider/model` (`openai/gpt-4o-mini`), or `unknown` for records that do not say. */
  readonly byModel: Record<string, ModelTotals>;
  readonly keptCharacters: number;
}

const count = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;

/**
 * Counts per drop reason and, for the kept samples, per provider and model: how many, the tokens their
 * generation took and its cost where the API reported one (the `usage` that `generateDataset` records).
 * Fields are read defensively: records from other tools may lack them or hold anything.
 *
 * @example
 * ```ts
 * const { kept, dropped } = await curateDataset(records);
 * curationSummary(records.length, kept, dropped).byModel;
 * // { 'ollama/llama3.2': { kept: 96, promptTokens: 18021, completionTokens: 12410 } }
 * ```
 */
export function curationSummary(
  read: number,
  kept: readonly Record<string, unknown>[],
  dropped: ReadonlyMap<DropReason, number>,
): CurationSummary {
  const byModel = new Map<string, ModelTotals>();
  let keptCharacters = 0;
  for (const sample of kept) {
    const model = typeof sample.model === 'string' ? sample.model : undefined;
    const provider = typeof sample.provider === 'string' ? sample.provider : undefined;
    const name = model === undefined ? 'unknown' : provider === undefined ? model : `${provider}/${model}`;
    const totals = byModel.get(name) ?? { kept: 0, promptTokens: 0, completionTokens: 0 };
    totals.kept++;
    const usage =
      typeof sample.usage === 'object' && sample.usage !== null
        ? (sample.usage as Record<string, unknown>)
        : {};
    totals.promptTokens += count(usage.promptTokens);
    totals.completionTokens += count(usage.completionTokens);
    if (typeof usage.cost === 'number') totals.cost = (totals.cost ?? 0) + count(usage.cost);
    byModel.set(name, totals);
    keptCharacters += String(sample.instruction ?? '').length + String(sample.output ?? '').length;
  }
  return {
    read,
    kept: kept.length,
    dropped: Object.fromEntries(dropped),
    byModel: Object.fromEntries(byModel),
    keptCharacters,
  };
}
