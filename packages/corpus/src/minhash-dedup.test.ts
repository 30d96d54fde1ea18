import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../scripts/seeded-random.js';
import {
  type CorpusDocument,
  minhashDedup,
  minhashSignature,
  type NearDuplicate,
  shingles,
} from './index.js';
import { fnv1a, shingleHashes } from './minhash-dedup.js';

const collect = async <T>(stream: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
};
const next = seededRandom(11);
const vocabulary = Array.from({ length: 500 }, (_, i) => `word${i}`);
const text = (length: number) =>
  Array.from({ length }, () => vocabulary[Math.floor(next() * vocabulary.length)]!).join(' ');
const doc = (id: string, body: string): CorpusDocument => ({ id, source: 'test', group: id, text: body });

describe('minhashDedup', () => {
  it('drops a near-duplicate and keeps different texts', async () => {
    const original = text(200);
    // One word changed: 5 of 196 five-word shingles differ, Jaccard = 191 / 201 = 0.95.
    const edited = original.replace(/word\d+/, 'changed');
    const found: NearDuplicate[] = [];
    const kept = await collect(
      minhashDedup(
        [doc('a', original), doc('b', text(200)), doc('c', edited), doc('d', `${original.toUpperCase()}!`)],
        {},
        (item) => found.push(item),
      ),
    );
    expect(kept.map((document) => document.id)).toEqual(['a', 'b']);
    expect(found.map(({ dropped, keptId }) => `${dropped}~${keptId}`)).toEqual(['c~a', 'd~a']);
    expect(found[0]!.similarity).toBeGreaterThan(0.85);
  });

  it('estimates Jaccard similarity from signature agreement', () => {
    // A = s0..s99, B = s50..s149: |A ∩ B| = 50, |A ∪ B| = 150, Jaccard = 1/3.
    const a = new Set(Array.from({ length: 100 }, (_, i) => `s${i}`));
    const b = new Set(Array.from({ length: 100 }, (_, i) => `s${i + 50}`));
    const [sa, sb] = [minhashSignature(a, 2000, 3), minhashSignature(b, 2000, 3)];
    let equal = 0;
    for (let i = 0; i < sa.length; i++) if (sa[i] === sb[i]) equal++;
    expect(equal / sa.length).toBeCloseTo(1 / 3, 1);
    expect(minhashSignature(a, 16, 3)).toEqual(minhashSignature(a, 16, 3));
  });

  it('shingles lowercase words without punctuation', () => {
    expect([...shingles('The cat, the CAT!', 2)]).toEqual(['the cat', 'cat the']);
    expect([...shingles('tiny', 5)]).toEqual(['tiny']);
  });
});

// Words with punctuation and symbols around and inside them, capitals, NFD accents, emoji (surrogate
// pairs), Unicode spaces: the offset-based hashes must match hashing the strings of shingles().
const PIECES = [
  'The',
  'cat',
  '"cat"',
  '(a',
  'b)',
  'CAFE\u0301',
  'café',
  '😀',
  'x😀y',
  '--',
  '...',
  '$5',
  'İ',
  "don't",
];
test.prop([
  fc.array(fc.tuple(fc.constantFrom(...PIECES), fc.constantFrom(' ', '\n', '\u00a0', '\t ', '\u3000')), {
    maxLength: 30,
  }),
  fc.integer({ min: 1, max: 5 }),
])('shingleHashes equals fnv1a over the shingle strings', (pairs, size) => {
  const text = pairs.map(([word, space]) => word + space).join('');
  expect(new Set(shingleHashes(text, size))).toEqual(new Set([...shingles(text, size)].map(fnv1a)));
});
