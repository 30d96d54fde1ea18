// Seeded fuzz: 10,000 mutated GGUF files per run. Our reader must accept or throw GgufError (never
// anything else, never hang), and must agree with ggml's verdict except for the recorded reasons.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ggmlParseGguf } from '../../../scripts/ggml-gguf-oracle.js';
import { loadGgmlOracle } from '../../../scripts/ggml-oracle.js';
import { seededRandom } from '../../../scripts/seeded-random.js';
import { bufferSource, GgufError, parseGguf } from './index.js';
import { craftGguf } from './test-files.js';

const FILES = 10_000;
const SEED = Number(process.env.LM_STACK_FUZZ_SEED ?? 20261122);
const directory = mkdtempSync(join(tmpdir(), 'lm-stack-gguf-fuzz-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const BASES = [
  craftGguf({
    metadata: [
      ['general.architecture', { type: 'string', value: 'llama' }],
      ['general.alignment', { type: 'u32', value: 64 }],
      ['x.ids', { type: 'array', itemType: 'i32', value: [1, 2, 3, 4] }],
      ['x.names', { type: 'array', itemType: 'string', value: ['a', 'bb', 'ccc'] }],
      ['x.eps', { type: 'f32', value: 1e-5 }],
    ],
    tensors: [
      { name: 'token_embd.weight', ne: [32, 4], type: 8, offset: 0 },
      { name: 'output_norm.weight', ne: [32], type: 0, offset: 192 },
    ],
    alignment: 64,
    dataBytes: 320,
  }),
  craftGguf({
    metadata: [['k', { type: 'u64', value: 7n }]],
    tensors: [{ name: 't', ne: [256, 2], type: 12, offset: 0 }],
    dataBytes: 288,
  }),
];

/** One mutation: flip bytes, overwrite a 64-bit field with an extreme value, cut, or splice. */
function mutate(base: Uint8Array, next: () => number): Uint8Array {
  const bytes = base.slice();
  const at = () => Math.floor(next() * bytes.length);
  const kind = Math.floor(next() * 5);
  if (kind === 0)
    for (let flips = 1 + Math.floor(next() * 4); flips > 0; flips--) bytes[at()] = Math.floor(next() * 256);
  else if (kind === 1) {
    const view = new DataView(bytes.buffer);
    const position = Math.min(at(), bytes.length - 8);
    const extremes = [
      0n,
      1n,
      2n ** 31n,
      2n ** 32n - 1n,
      2n ** 63n,
      2n ** 64n - 1n,
      BigInt(Math.floor(next() * 1e6)),
    ];
    view.setBigUint64(position, extremes[Math.floor(next() * extremes.length)]!, true);
  } else if (kind === 2) return bytes.subarray(0, at());
  else if (kind === 3) {
    const position = at();
    return Uint8Array.from([
      ...bytes.subarray(0, position),
      ...bytes.subarray(position + 1 + Math.floor(next() * 8)),
    ]);
  } else {
    const position = at();
    const inserted = Array.from({ length: 1 + Math.floor(next() * 8) }, () => Math.floor(next() * 256));
    return Uint8Array.from([...bytes.subarray(0, position), ...inserted, ...bytes.subarray(position)]);
  }
  return bytes;
}

it(`fuzzes ${FILES} files (seed ${SEED}): only GgufError, and ggml's verdicts but for recorded reasons`, () => {
  const next = seededRandom(SEED);
  const files = Array.from({ length: FILES }, (_, i) => mutate(BASES[i % BASES.length]!, next));
  const ours = files.map((bytes) => {
    try {
      parseGguf(bufferSource(bytes));
      return { ok: true as const };
    } catch (error) {
      if (!(error instanceof GgufError))
        throw new Error(`seed ${SEED}: a non-GgufError escaped: ${String(error)}`);
      return { ok: false as const, code: error.code, message: error.message };
    }
  });
  const rejected = ours.filter((verdict) => !verdict.ok).length;
  expect(rejected).toBeGreaterThan(FILES / 2); // the mutations do reach the checks
  if (!loadGgmlOracle()) return;
  const paths = files.map((bytes, i) => {
    const path = join(directory, `${i}.gguf`);
    writeFileSync(path, bytes);
    return path;
  });
  const ggml = ggmlParseGguf(paths);
  const disagreements = new Map<string, number>();
  ours.forEach((verdict, i) => {
    if (verdict.ok === ggml[i]!.ok) return;
    const reason = verdict.ok
      ? `ours accepts, ggml rejects${ggml[i]!.aborted ? ' (aborted)' : ''}`
      : `ours rejects (${verdict.code}), ggml accepts`;
    disagreements.set(reason, (disagreements.get(reason) ?? 0) + 1);
    if (process.env.LM_STACK_FUZZ_VERBOSE && !verdict.ok)
      appendFileSync(process.env.LM_STACK_FUZZ_VERBOSE, `${i} ${verdict.message}\n`);
  });
  console.log(
    `fuzz seed ${SEED}: ${FILES} files, ${rejected} rejected by us; disagreements with ggml:`,
    Object.fromEntries(disagreements),
  );
  expect([...disagreements.keys()].filter((reason) => !RECORDED.has(reason))).toEqual([]);
});

/** Disagreements seen and explained (see README): all are cases where our reader is stricter. */
const RECORDED = new Set([
  'ours rejects (BAD_STRING), ggml accepts',
  'ours rejects (DATA_OUT_OF_FILE), ggml accepts',
  'ours rejects (ELEMENT_OVERFLOW), ggml accepts',
]);
