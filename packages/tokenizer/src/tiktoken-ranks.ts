import type { BpeDefinition } from './bpe-definition.js';
import { applyMerges } from './bpe-merge.js';
import { TokenizerFormatError, UnsupportedEncodingError } from './errors.js';
import { PairTable } from './pair-table.js';
import { patternNameOf } from './patterns.js';

/** The tiktoken encodings whose rank data ships in the `tiktoken` / `js-tiktoken` npm packages. */
export type TiktokenEncodingName = 'cl100k_base' | 'o200k_base';

/** Rank data as the `tiktoken` and `js-tiktoken` packages ship it. */
export interface TiktokenData {
  readonly pat_str: string;
  readonly special_tokens: Readonly<Record<string, number>>;
  readonly bpe_ranks: string;
}

/**
 * Parses tiktoken rank data into token bytes by rank. Two layouts are accepted: the `.tiktoken` file
 * (`<base64> <rank>` per line) and the packed form of the npm packages (`! <first rank> <base64> <base64> …`,
 * consecutive ranks after each `!`).
 */
export function parseTiktokenRanks(text: string): (Uint8Array | undefined)[] {
  const words = text.split(/\s+/).filter((word) => word.length > 0);
  const tokens: (Uint8Array | undefined)[] = [];
  const place = (rank: number, word: string) => {
    if (!Number.isSafeInteger(rank) || rank < 0 || rank > 10_000_000)
      throw new TokenizerFormatError('bpe_ranks', rank, 'rank is not an integer in [0, 10,000,000]');
    if (tokens[rank] !== undefined) throw new TokenizerFormatError('bpe_ranks', rank, 'rank appears twice');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(word))
      throw new TokenizerFormatError('bpe_ranks', word, 'is not base64');
    tokens[rank] = Uint8Array.from(atob(word), (char) => char.charCodeAt(0));
  };
  if (words[0] === '!') {
    let rank = 0;
    for (let i = 0; i < words.length; i++) {
      if (words[i] === '!') {
        rank = Number(words[++i]);
        continue;
      }
      place(rank++, words[i]!);
    }
  } else {
    if (words.length % 2 !== 0)
      throw new TokenizerFormatError('bpe_ranks', words.length, 'odd number of fields');
    for (let i = 0; i < words.length; i += 2) place(Number(words[i + 1]), words[i]!);
  }
  return tokens;
}

/**
 * Turns tiktoken ranks into merges. Tokens are visited in rank order; BPE of a token's bytes with the
 * merges found so far (all of lower rank) leaves exactly two parts, and those two parts are its merge —
 * the construction Hugging Face's tiktoken converter uses. Merging by pair rank with these merges equals
 * tiktoken's merging by rank of the joined bytes. A token that cannot be built from lower ranks gets no
 * merge; it is still reached whole, because tiktoken (and so `ignoreMerges`) looks whole chunks up first.
 */
export function definitionFromTiktoken(data: TiktokenData): BpeDefinition {
  const tokens = parseTiktokenRanks(data.bpe_ranks);
  const byteIds = new Int32Array(256).fill(-1);
  tokens.forEach((bytes, id) => {
    if (bytes?.length === 1) byteIds[bytes[0]!] = id;
  });
  const missing = byteIds.indexOf(-1);
  if (missing !== -1) throw new TokenizerFormatError('bpe_ranks', missing, `byte ${missing} has no rank`);

  const table = new PairTable(tokens.length);
  const merges: (readonly [number, number])[] = [];
  const ids = new Int32Array(tokens.reduce((longest, bytes) => Math.max(longest, bytes?.length ?? 0), 1));
  tokens.forEach((bytes, id) => {
    if (bytes === undefined || bytes.length < 2) return;
    for (let i = 0; i < bytes.length; i++) ids[i] = byteIds[bytes[i]!]!;
    if (applyMerges(ids, bytes.length, table) !== 2) return;
    merges.push([ids[0]!, ids[1]!]);
    table.add(ids[0]!, ids[1]!, id);
  });

  const specialTokens = new Map<string, number>();
  for (const [text, id] of Object.entries(data.special_tokens)) specialTokens.set(text, id);
  const named = patternNameOf(data.pat_str);
  return {
    tokens,
    merges,
    specialTokens,
    pattern: named ?? { regex: data.pat_str },
    ignoreMerges: true,
  };
}

/**
 * Loads the rank data of a tiktoken encoding from the optional peer dependency `tiktoken`, or else
 * `js-tiktoken`. Nothing is downloaded.
 */
export async function loadTiktokenData(name: TiktokenEncodingName): Promise<TiktokenData> {
  if (name !== 'cl100k_base' && name !== 'o200k_base')
    throw new UnsupportedEncodingError(name, 'supported encodings are cl100k_base and o200k_base');
  // Specifiers are built at run time: both packages are optional peers, absent in many installs.
  // A variable, not a literal: bundlers strip literal import attributes from dynamic imports they cannot resolve.
  const jsonAttributes: ImportCallOptions = { with: { type: 'json' } };
  const attempts: Array<() => Promise<unknown>> = [
    () => import(/* @vite-ignore */ `tiktoken/encoders/${name}.json`, jsonAttributes),
    () => import(/* @vite-ignore */ `js-tiktoken/ranks/${name}`),
  ];
  for (const attempt of attempts) {
    try {
      const loaded = (await attempt()) as { default?: TiktokenData } & Partial<TiktokenData>;
      const data = loaded.default ?? (loaded as TiktokenData);
      if (typeof data.bpe_ranks === 'string') return data;
    } catch {
      // try the next package
    }
  }
  throw new UnsupportedEncodingError(
    name,
    'its rank data ships in the npm package "tiktoken" or "js-tiktoken"; install one of them (npm i tiktoken)',
  );
}
