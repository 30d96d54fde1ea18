import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CorpusDocument,
  c4Lines,
  decontaminate,
  EmptyCorpusError,
  type ExcludedDocument,
  exactDedup,
  filterDocuments,
  gopherQuality,
  gopherRepetition,
  guessLanguage,
  PipelineReport,
  packShards,
  prepareText,
  readShard,
  ShardFormatError,
  splitByGroup,
  splitOf,
  writeShard,
} from './index.js';

const directory = mkdtempSync(join(tmpdir(), 'lm-stack-corpus-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const collect = async <T>(stream: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
};
const doc = (id: string, text: string, group = id): CorpusDocument => ({ id, source: 'test', group, text });

// About 60 words of ordinary English in complete sentences: passes every rule.
const PROSE = [
  'The whale is the largest animal that has ever lived on the earth.',
  'It swims in the cold water of the northern seas with its young.',
  'Sailors have told stories of the whale for a very long time.',
  'Some of them were true and some of them were not.',
  'The captain of the ship wanted to find the white whale again.',
  'His crew was afraid of the long journey and the storms ahead.',
].join('\n');

describe('prepareText', () => {
  it('normalises a worked example', () => {
    // NFD "é" (e + U+0301) → NFC; CRLF → LF; NUL and U+0007 removed; trailing spaces trimmed; 3 blank lines → 1.
    expect(prepareText('\ufeffCafe\u0301 \r\nline\u0000 two\u0007  \r\n\r\n\r\n\r\nend\u0085next')).toBe(
      'Café\nline two\n\nend\nnext',
    );
    expect(prepareText('menu\nreal text\nmenu', { boilerplateLines: new Set(['menu']) })).toBe('real text');
  });
});

describe('quality rules (Gopher, C4, language)', () => {
  it('keeps ordinary prose', () => {
    expect(gopherQuality(PROSE)).toBeUndefined();
    expect(gopherRepetition(PROSE)).toBeUndefined();
    expect(c4Lines(PROSE)).toEqual({ text: PROSE });
    expect(guessLanguage(PROSE).language).toBe('en');
  });

  it('names each Gopher quality rule with the measured value', () => {
    expect(gopherQuality('only three words')).toEqual({ rule: 'gopher.min_words', value: 3, limit: 50 });
    // 60 words of "a": mean word length 1 < 3.
    expect(gopherQuality(Array(60).fill('a').join(' '))).toMatchObject({
      rule: 'gopher.min_mean_word_length',
      value: 1,
    });
    // 50 words + 10 "#": 10 / 60 = 0.167 symbols per word > 0.1.
    expect(
      gopherQuality(`${Array(50).fill('word').join(' ')} ${Array(10).fill('#').join(' ')}`),
    ).toMatchObject({
      rule: 'gopher.symbol_to_word_ratio',
    });
    // No stop word at all in 60 words.
    expect(gopherQuality(Array(60).fill('ocean').join(' '))).toEqual({
      rule: 'gopher.stop_words',
      value: 0,
      limit: 2,
    });
  });

  it('catches repetition', () => {
    // 4 lines, 2 of them repeats: 2 / 4 = 0.5 > 0.3.
    expect(gopherRepetition('spam\nspam\nspam\neggs')).toMatchObject({
      rule: 'gopher.duplicate_lines',
      value: 0.5,
      limit: 0.3,
    });
    const looped = Array(20).fill('the cat sat on the mat and then').join(' ');
    expect(gopherRepetition(looped)?.rule).toMatch(/^gopher\.(top|duplicated)_\dgram$/);
  });

  it('applies the C4 line rules', () => {
    expect(c4Lines(`Home | About\nclick here\n${PROSE}\nEnable javascript to continue.`)).toEqual({
      text: PROSE,
    });
    expect(c4Lines('Lorem ipsum dolor sit amet.')).toEqual({
      exclusion: { rule: 'c4.lorem_ipsum', value: 1, limit: 0 },
    });
    expect(c4Lines('function f() { return 1; }')).toMatchObject({ exclusion: { rule: 'c4.curly_bracket' } });
    expect(c4Lines('One sentence only here.')).toEqual({
      exclusion: { rule: 'c4.min_sentences', value: 1, limit: 5 },
    });
  });

  it('tells English from German', () => {
    // "der", "und", "die", "sind", "im" are 5 of 8 words: 0.625.
    expect(guessLanguage('Der Hund und die Katze sind im Haus.')).toEqual({ language: 'de', share: 0.625 });
    expect(guessLanguage('1234 5678 %%%').language).toBe('unknown');
  });
});

describe('filterDocuments', () => {
  it('keeps good documents and logs each exclusion with its rule', async () => {
    const excluded: ExcludedDocument[] = [];
    const kept = await collect(
      filterDocuments(
        [
          doc('good', PROSE),
          doc('short', 'Hi.'),
          doc('german', 'Der Hund und die Katze sind im Haus. '.repeat(12).replaceAll('. ', '.\n')),
        ],
        {},
        (entry) => excluded.push(entry),
      ),
    );
    expect(kept.map((document) => document.id)).toEqual(['good']);
    expect(excluded.map((entry) => [entry.id, entry.rule])).toEqual([
      ['short', 'c4.min_sentences'],
      ['german', 'gopher.stop_words'], // Gopher's stop words are English; German needs minStopWords: 0
    ]);
    const germanKept = await collect(
      filterDocuments([doc('de', 'Der Hund und die Katze sind im Haus.')], {
        c4: false,
        gopherQuality: false,
        gopherRepetition: false,
        languages: ['de'],
      }),
    );
    expect(germanKept).toHaveLength(1);
  });
});

describe('exactDedup', () => {
  it('drops exact, NFC/NFD and whitespace duplicates, keeping the first', async () => {
    const dropped: string[] = [];
    const kept = await collect(
      exactDedup(
        [
          doc('a', 'café au lait'),
          doc('b', 'cafe\u0301 au  lait'),
          doc('c', 'tea'),
          doc('d', ' café au lait\n'),
        ],
        (document, first) => dropped.push(`${document.id}=${first}`),
      ),
    );
    expect(kept.map((document) => document.id)).toEqual(['a', 'c']);
    expect(dropped).toEqual(['b=a', 'd=a']);
    expect(await collect(exactDedup(Array.from({ length: 5 }, (_, i) => doc(`x${i}`, 'same'))))).toHaveLength(
      1,
    );
  });
});

describe('splitByGroup', () => {
  test.prop([
    fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 4 })), { maxLength: 60 }),
  ])('never puts a group in two splits', async (pairs) => {
    const splits = await splitByGroup(
      pairs.map(([group, text], i) => doc(`d${i}`, text, group)),
      { train: 0.8, validation: 0.1, test: 0.1 },
    );
    const owner = new Map<string, string>();
    for (const [name, documents] of Object.entries(splits))
      for (const document of documents) {
        expect(owner.get(document.group) ?? name).toBe(name);
        owner.set(document.group, name);
      }
  });

  it('is deterministic and follows the ratios', () => {
    const groups = Array.from({ length: 10_000 }, (_, i) => `group-${i}`);
    const counts = { train: 0, validation: 0, test: 0 };
    for (const group of groups) counts[splitOf(group, { train: 0.8, validation: 0.1, test: 0.1 })]++;
    expect(counts.train / 10_000).toBeCloseTo(0.8, 1);
    expect(counts.validation / 10_000).toBeCloseTo(0.1, 1);
    expect(splitOf('moby-dick', { train: 0.8, validation: 0.1, test: 0.1 })).toBe(
      splitOf('moby-dick', { train: 0.8, validation: 0.1, test: 0.1 }),
    );
    expect(() => splitOf('x', { train: 0.9, validation: 0.2, test: 0 })).toThrow(/sum to 1/);
  });
});

describe('token shards (llm.c layout)', () => {
  it('round-trips uint16 and uint32 shards and picks the width from the vocabulary', () => {
    const small = join(directory, 'small.bin');
    expect(writeShard(small, Uint32Array.of(0, 5, 65535), 65_536).width).toBe('uint16');
    expect(Array.from(readShard(small))).toEqual([0, 5, 65535]);
    expect(readFileSync(small).length).toBe(1024 + 3 * 2);
    const large = join(directory, 'large.bin');
    expect(writeShard(large, Uint32Array.of(70_000, 1), 100_000).width).toBe('uint32');
    expect(Array.from(readShard(large))).toEqual([70_000, 1]);
    expect(() => writeShard(join(directory, 'bad.bin'), Uint32Array.of(70_000), 65_536)).toThrow(
      /not below the vocabulary size 65536/,
    );
  });

  it('rejects malformed shards with the field named', () => {
    const path = join(directory, 'corrupt.bin');
    const bytes = readFileSync(join(directory, 'small.bin'));
    writeFileSync(path, bytes.subarray(0, 1000));
    expect(() => readShard(path)).toThrow(ShardFormatError);
    const badMagic = Buffer.from(bytes);
    badMagic.writeInt32LE(7, 0);
    writeFileSync(path, badMagic);
    expect(() => readShard(path)).toThrow('magic 7 is not 20240520 (uint16) or 20240801 (uint32)');
    const badCount = Buffer.from(bytes);
    badCount.writeInt32LE(99, 8);
    writeFileSync(path, badCount);
    expect(() => readShard(path)).toThrow(/token count 99 does not match/);
  });

  it('packs documents with EOS between them, shards of a fixed size and a manifest written last', async () => {
    const tokenizer = await BpeTokenizer.train([PROSE], {
      vocabSize: 300,
      pattern: 'gpt2',
      specialTokens: ['<|endoftext|>'],
    });
    const documents = [
      doc('a', 'The whale.'),
      doc('b', 'The captain of the ship.'),
      doc('c', '<|endoftext|> is text here'),
    ];
    const manifest = await packShards(documents, {
      tokenizer,
      directory,
      name: 'train',
      shardTokens: 8,
      eos: '<|endoftext|>',
    });
    const eos = tokenizer.specialTokens.get('<|endoftext|>')!;
    const all = manifest.shards.flatMap((shard) => Array.from(readShard(join(directory, shard.file))));
    expect(manifest.tokens).toBe(all.length);
    expect(manifest.shards.slice(0, -1).every((shard) => shard.tokens === 8)).toBe(true);
    const texts: string[] = [];
    let current: number[] = [];
    for (const id of all) {
      if (id === eos) {
        texts.push(tokenizer.decode(current));
        current = [];
      } else current.push(id);
    }
    expect(texts).toEqual(documents.map((document) => document.text));
    expect(JSON.parse(readFileSync(join(directory, 'train.manifest.json'), 'utf8'))).toEqual(manifest);
    await expect(
      packShards([], { tokenizer, directory, name: 'empty', shardTokens: 8, eos: '<|endoftext|>' }),
    ).rejects.toThrow(EmptyCorpusError);
  });
});

describe('decontaminate', () => {
  it('removes training documents that share a 13-word sequence with held-out text', async () => {
    const held = [
      doc(
        'test-1',
        'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.',
      ),
    ];
    const train = [
      doc(
        'quotes-it',
        'As Dickens wrote: "It was the best of times; it was the worst of times, it was the age of wisdom..." and so on.',
      ),
      doc('shares-12', 'it was the best of times it was the worst of times'), // 12 words: no 13-gram
      doc('unrelated', 'The whale swam north through the cold grey water.'),
    ];
    const removed: string[] = [];
    const kept = await collect(
      decontaminate(train, held, {}, (item) => removed.push(`${item.id}:${item.sharedNgrams}`)),
    );
    // The common run "it was the best of times it was the worst of times it was the age of wisdom" is 18
    // words long: 18 - 13 + 1 = 6 shared 13-grams.
    expect(kept.map((document) => document.id)).toEqual(['shares-12', 'unrelated']);
    expect(removed).toEqual(['quotes-it:6']);
  });
});

describe('PipelineReport', () => {
  it('counts documents, bytes and removal reasons per stage, in pipeline order', async () => {
    const report = new PipelineReport();
    const read = report.measure('read', [doc('good', PROSE), doc('short', 'Hi.'), doc('copy', PROSE)]);
    const filtered = report.measure(
      'filter',
      filterDocuments(read, {}, (entry) => report.reason('filter', entry.rule)),
    );
    const unique = report.measure(
      'dedup',
      exactDedup(filtered, () => report.reason('dedup', 'exact')),
    );
    expect((await collect(unique)).map((document) => document.id)).toEqual(['good']);
    const bytes = new TextEncoder().encode(PROSE).length;
    expect(
      report.toJSON().map(({ stage, documentsIn, documentsOut, bytesIn, bytesOut, reasons }) => ({
        stage,
        documentsIn,
        documentsOut,
        bytesIn,
        bytesOut,
        reasons,
      })),
    ).toEqual([
      {
        stage: 'read',
        documentsIn: 3,
        documentsOut: 3,
        bytesIn: 2 * bytes + 3,
        bytesOut: 2 * bytes + 3,
        reasons: {},
      },
      {
        stage: 'filter',
        documentsIn: 3,
        documentsOut: 2,
        bytesIn: 2 * bytes + 3,
        bytesOut: 2 * bytes,
        reasons: { 'c4.min_sentences': 1 },
      },
      {
        stage: 'dedup',
        documentsIn: 2,
        documentsOut: 1,
        bytesIn: 2 * bytes,
        bytesOut: bytes,
        reasons: { exact: 1 },
      },
    ]);
    expect(report.summary().split('\n')[1]).toMatch(
      /^filter: 3 → 2 documents, .* MB, \d+\.\d\d s \(c4\.min_sentences 1\)$/,
    );
    expect(report.toJSON().every((stage) => stage.milliseconds >= 0)).toBe(true);
  });
});
