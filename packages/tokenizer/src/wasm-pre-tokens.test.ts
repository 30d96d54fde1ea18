import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { scanCl100kUnits } from './cl100k-scanner.js';
import { PieceCountTable } from './piece-count-table.js';
import { prefixCounts } from './pre-token-prefix.js';
import { EDGE_CHARACTERS } from './test-edge-characters.js';
import { BpeTokenizer } from './tokenizer.js';
import { unitsOf } from './utf16-units.js';
import { cl100kSegments, WasmPreTokenCounter } from './wasm-pre-tokens.js';

const tokenizers = new Map<string, BpeTokenizer>();
beforeAll(async () => {
  tokenizers.set('cl100k_base', await BpeTokenizer.fromTiktoken('cl100k_base'));
  tokenizers.set('o200k_base', await BpeTokenizer.fromTiktoken('o200k_base'));
});

/** The TypeScript path, with a fresh table and the BPE for every count: the reference. */
function typescriptPrefix(tokenizer: BpeTokenizer, text: string): { starts: number[]; prefix: number[] } {
  const all = new Int32Array(text.length + 1);
  const starts = all.slice(0, scanCl100kUnits(unitsOf(text), text.length, all, 1));
  const count = (from: number, to: number) => tokenizer.encodeOrdinary(text.slice(from, to)).length;
  const prefix = prefixCounts(unitsOf(text), starts, starts.length - 1, new PieceCountTable(), 256, count);
  return { starts: [...starts], prefix: [...prefix] };
}

/** What `withPreTokens` hands over, copied out of the callback. */
function wasmPrefix(
  tokenizer: BpeTokenizer,
  text: string,
): { starts: number[]; prefix: number[]; largest: number } {
  return tokenizer.withPreTokens(text, ({ starts, prefix, largest }) => ({
    starts: [...starts],
    prefix: [...prefix],
    largest,
  }));
}

const edgeText = fc
  .array(fc.constantFrom(...EDGE_CHARACTERS), { maxLength: 80 })
  .map((list) => list.join(''));

describe('withPreTokens (WebAssembly scanner and count tables)', () => {
  it('gives cl100k pieces with running counts: "hello world!" → [0, 5, 11, 12], [0, 1, 2, 3]', () => {
    const cl100k = tokenizers.get('cl100k_base')!;
    expect(wasmPrefix(cl100k, 'hello world!')).toEqual({
      starts: [0, 5, 11, 12],
      prefix: [0, 1, 2, 3],
      largest: 1,
    });
    expect(wasmPrefix(cl100k, '')).toEqual({ starts: [0], prefix: [0], largest: 0 });
    // " Wordsmithing" is one piece of 13 units (past one SIMD step and the short table): 3 tokens.
    const word = wasmPrefix(cl100k, 'A Wordsmithing');
    expect(word.starts).toEqual([0, 1, 14]);
    expect(word.prefix[2]! - word.prefix[1]!).toBe(cl100k.encodeOrdinary(' Wordsmithing').length);
  });

  test.prop([edgeText], { numRuns: 1500 })(
    'equals the TypeScript scanner and the BPE on strings of edge characters, cold and warm',
    (text) => {
      const cl100k = tokenizers.get('cl100k_base')!;
      const reference = typescriptPrefix(cl100k, text);
      const first = wasmPrefix(cl100k, text);
      expect({ starts: first.starts, prefix: first.prefix }).toEqual(reference);
      // The second time every piece comes from the tables.
      expect(wasmPrefix(cl100k, text)).toEqual(first);
      let largest = 0;
      for (let i = 1; i < reference.prefix.length; i++)
        largest = Math.max(largest, reference.prefix[i]! - reference.prefix[i - 1]!);
      expect(first.largest).toBe(largest);
    },
  );

  test.prop([fc.string({ unit: 'binary', maxLength: 300 })], { numRuns: 500 })(
    'equals the TypeScript path on arbitrary UTF-16, and o200k (RegExp pieces, WebAssembly counts) the BPE',
    (text) => {
      const cl100k = tokenizers.get('cl100k_base')!;
      expect(wasmPrefix(cl100k, text).prefix).toEqual(typescriptPrefix(cl100k, text).prefix);
      const o200k = tokenizers.get('o200k_base')!;
      const { starts, prefix } = wasmPrefix(o200k, text);
      for (let i = 0; i + 1 < starts.length; i++)
        expect(prefix[i + 1]! - prefix[i]!).toBe(
          o200k.encodeOrdinary(text.slice(starts[i], starts[i + 1])).length,
        );
      expect(prefix.at(-1)).toBe(o200k.encodeOrdinary(text).length);
    },
  );

  it('counts a text of more than 2^20 units in segments, as one text', () => {
    const cl100k = tokenizers.get('cl100k_base')!;
    // 1.3 M units: lines of words, then a run of 300,000 units with no place to split (one long segment).
    const line = (i: number) => `Line ${i}: the quick brown fox — jumps over ${i * 7} lazy dogs'.\n`;
    const text = Array.from({ length: 20_000 }, (_, i) => line(i)).join('') + 'x'.repeat(300_000);
    expect(text.length).toBeGreaterThan(2 ** 20);
    const whole = wasmPrefix(cl100k, text);
    expect(whole).toEqual({ ...typescriptPrefix(cl100k, text), largest: whole.largest });
    expect(whole.prefix.at(-1)).toBe(cl100k.encodeOrdinary(text).length);
  });

  it('counts a RegExp piece longer than a segment (o200k, 2^20 + 5 letters) by the BPE, outside the module', () => {
    const o200k = tokenizers.get('o200k_base')!;
    const text = `ab ${'x'.repeat(2 ** 20 + 5)} cd`;
    const { starts, prefix } = wasmPrefix(o200k, text);
    expect(starts).toEqual([0, 2, 2 ** 20 + 8, text.length]); // "ab" " xxx…" " cd"
    expect(prefix.at(-1)).toBe(o200k.encodeOrdinary(text).length);
  });

  it('splits segments only where every piece ends: after "\\n" and a letter, before a space between letters', () => {
    const cl100k = tokenizers.get('cl100k_base')!;
    // 2^20 units of symbols, digits and tabs (no place to split), then the first place to split.
    const filler = '.,;1 2\t'.repeat(2 ** 20 / 7 + 1).slice(0, 2 ** 20);
    for (const [tail, split] of [
      ["it's\nWord", 2 ** 20 + 5], // after the "\n", before "W"
      ['ab cd', 2 ** 20 + 2], // before the space between "b" and "c"
      ['a\n cd end', 2 ** 20 + 5], // not after "\n" (a space follows), not before " c" ("\n" precedes): before " end"
    ] as const) {
      const text = `${filler}${tail}${' end'.repeat(10)}`;
      expect(cl100kSegments(text)).toEqual([split, text.length]);
      expect(wasmPrefix(cl100k, text).prefix).toEqual(typescriptPrefix(cl100k, text).prefix);
    }
    expect(cl100kSegments('short text')).toEqual([10]);
    // No place to split in 17 × 2^20 units (over 2^24): the TypeScript path counts it.
    expect(cl100kSegments(filler.repeat(17))).toBeUndefined();
  });

  it('keeps counting right when the tables fill and start over (small tables: 512 short, 128 long pieces)', () => {
    const cl100k = tokenizers.get('cl100k_base')!;
    const counter = WasmPreTokenCounter.create({ shortBits: 10, slotBits: 8, arenaBytes: 2048 })!;
    // Distinct pieces: " q" + 4 letters (short table) and " z" + 11 letters (long table, 26 bytes of key
    // each: the 2,048-byte arena holds 78), base-26 numbers spelled in letters.
    const spell = (n: number, width: number) =>
      Array.from({ length: width }, (_, k) => String.fromCharCode(97 + (Math.floor(n / 26 ** k) % 26))).join(
        '',
      );
    const words = Array.from({ length: 3_000 }, (_, i) => ` q${spell(i, 4)} z${spell(i * 7919, 11)}`).join(
      '',
    );
    for (const text of [words, words.slice(0, 9_000), words]) {
      let misses = 0;
      const count = (from: number, to: number) => {
        misses++;
        return cl100k.encodeOrdinary(text.slice(from, to)).length;
      };
      const prefix = counter.scanCl100k(text, [text.length], count, 256, (pieces) => [...pieces.prefix]);
      expect(prefix).toEqual(typescriptPrefix(cl100k, text).prefix);
      expect(misses).toBeGreaterThan(0); // a table that started over misses again
      expect(counter.pieces).toBeLessThanOrEqual(512 + 128);
    }
  });

  it('takes the TypeScript path for a call made from inside the callback, leaving the outer views intact', () => {
    const cl100k = tokenizers.get('cl100k_base')!;
    const outer = 'The outer text, with its own pieces.';
    const inner = 'An inner text that overwrites nothing.';
    const [before, innerPrefix, after] = cl100k.withPreTokens(outer, ({ prefix }) => {
      const copied = [...prefix];
      const nested = [...cl100k.preTokenPrefix(inner).prefix];
      return [copied, nested, [...prefix]];
    });
    expect(after).toEqual(before);
    expect(innerPrefix).toEqual(typescriptPrefix(cl100k, inner).prefix);
    expect(before).toEqual(typescriptPrefix(cl100k, outer).prefix);
  });

  it('counts pieces longer than the cached length (256 units) by the BPE each time', () => {
    const cl100k = tokenizers.get('cl100k_base')!;
    const text = `a ${'!?'.repeat(400)} b ${'é'.repeat(300)}`;
    expect(wasmPrefix(cl100k, text).prefix).toEqual(typescriptPrefix(cl100k, text).prefix);
    expect(wasmPrefix(cl100k, text).prefix.at(-1)).toBe(cl100k.encodeOrdinary(text).length);
  });
});

describe('withPreTokens without WebAssembly', () => {
  it('counts the same in TypeScript', async () => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', undefined);
    try {
      const { BpeTokenizer: Fresh } = await import('./tokenizer.js');
      const tokenizer = await Fresh.fromTiktoken('cl100k_base');
      const text = "It's 2024: the café's 𝐀𝐁 prices rose 12.5%.\r\n\n  Done…";
      const cl100k = tokenizers.get('cl100k_base')!;
      expect(tokenizer.preTokenPrefix(text)).toEqual(cl100k.preTokenPrefix(text));
      expect(tokenizer.preTokenCounts(text)).toEqual(cl100k.preTokenCounts(text));
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});
