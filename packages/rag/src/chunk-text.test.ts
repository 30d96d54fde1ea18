import { fc, test } from '@fast-check/vitest';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { BpeTokenizer } from '@lm-stack/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunkText, type TextChunk } from './chunk-text.js';
import { ChunkOptionsError } from './errors.js';

let cl100k: BpeTokenizer;
beforeAll(async () => {
  cl100k = await BpeTokenizer.fromTiktoken('cl100k_base');
});

/** The chunks minus the part each repeats of the one before. */
function rebuild(chunks: readonly TextChunk[]): string {
  let text = chunks[0]?.text ?? '';
  for (let i = 1; i < chunks.length; i++)
    text += chunks[i]!.text.slice(chunks[i - 1]!.end - chunks[i]!.start);
  return text;
}

describe('chunkText', () => {
  it('cuts at the strongest boundary that keeps a chunk half full, with offsets and exact token counts', () => {
    // cl100k: 13 tokens, one per piece: "One" " two" " three" " four" ".\n\n" "Five" " six" " seven"
    // " eight" ".\n\n" "Nine" " ten" "." (punctuation takes the newlines after it).
    const text = 'One two three four.\n\nFive six seven eight.\n\nNine ten.';
    const chunks = chunkText(text, { tokenizer: cl100k, chunkSize: 7, overlap: 2 });
    // 7 tokens reach "… six seven"; the paragraph break after ".\n\n" (5 tokens ≥ 3.5) is the strongest cut.
    // The next chunk repeats 2 tokens (" four" ".\n\n"), takes 5 new ones and ends at the next paragraph
    // break; the last repeats " eight" ".\n\n" and the 3 tokens left.
    expect(chunks.map((chunk) => [chunk.text, chunk.start, chunk.end, chunk.tokens])).toEqual([
      ['One two three four.\n\n', 0, 21, 5],
      [' four.\n\nFive six seven eight.\n\n', 13, 44, 7],
      [' eight.\n\nNine ten.', 35, 53, 5],
    ]);
    for (const chunk of chunks) expect(text.slice(chunk.start, chunk.end)).toBe(chunk.text);
  });

  it('overlaps by exactly the tokens asked when every word is one token', () => {
    // " a", " b", … are one cl100k token each: 200 words, chunks of 20 with 5 repeated.
    const words = Array.from({ length: 200 }, (_, i) => String.fromCharCode(97 + (i % 26)));
    const text = words.join(' ');
    const chunks = chunkText(text, { tokenizer: cl100k, chunkSize: 20, overlap: 5 });
    for (let i = 1; i < chunks.length; i++) {
      const repeated = text.slice(chunks[i]!.start, chunks[i - 1]!.end);
      expect(cl100k.encodeOrdinary(repeated).length).toBe(5);
    }
    expect(chunks.every((chunk) => chunk.tokens === 20 || chunk === chunks.at(-1))).toBe(true);
    // 200 tokens, 15 new per chunk after the first 20: ceil((200 − 20) / 15) + 1 = 13 chunks.
    expect(chunks.length).toBe(13);
    expect(rebuild(chunks)).toBe(text);
  });

  it('cuts a word longer than a chunk inside it, and counts special-token text as ordinary text', () => {
    const long = `start ${'x'.repeat(3000)} <|endoftext|> end`;
    const chunks = chunkText(long, { tokenizer: cl100k, chunkSize: 64, overlap: 8 });
    expect(rebuild(chunks)).toBe(long);
    for (const chunk of chunks) {
      expect(chunk.tokens).toBeLessThanOrEqual(64);
      expect(cl100k.encodeOrdinary(chunk.text).length).toBe(chunk.tokens);
    }
  });

  it('ends chunks before Markdown headings and records the headings each chunk sits under', () => {
    const section = (title: string, level: string) =>
      `${level} ${title}\n\n${'Some words here. '.repeat(12)}\n\n`;
    const fenced = '```\n# not a heading\n```\n';
    const text = [section('Guide', '#'), section('Install', '##'), section('Use', '##'), fenced].join('');
    const chunks = chunkText(text, { tokenizer: cl100k, chunkSize: 80, overlap: 0, markdown: true });
    expect(chunks.map((chunk) => chunk.headings)).toEqual([
      ['Guide'],
      ['Guide', 'Install'],
      ['Guide', 'Use'],
    ]);
    expect(chunks[1]!.text.startsWith('## Install')).toBe(true);
  });

  it('refuses sizes that cannot work, with the values', () => {
    expect(() => chunkText('x', { tokenizer: cl100k, chunkSize: 0 })).toThrow(ChunkOptionsError);
    expect(() => chunkText('x', { tokenizer: cl100k, chunkSize: 10, overlap: 10 })).toThrow(
      'overlap 10 must be below chunkSize 10',
    );
    expect(() => chunkText('x', { tokenizer: cl100k, chunkSize: 10, overlap: -1 })).toThrow('overlap -1');
    expect(chunkText('', { tokenizer: cl100k })).toEqual([]);
  });

  // Words, whitespace of every kind, punctuation, digits, accents, CJK and emoji (surrogate pairs).
  const piece = fc.constantFrom(
    'the',
    'whale',
    'Ishmael',
    '42',
    '1,234.5',
    'naïve',
    '東京',
    '😀',
    '—',
    '.',
    '!',
    '?',
    '"',
    "'s",
    '<|endoftext|>',
    ' ',
    ' ',
    '  ',
    '\n',
    '\n\n',
    '\t',
    '\r\n',
    '\u00a0',
    '\u0085',
    '# Head\n',
    '```',
    'x'.repeat(40),
  ); // prettier-ignore
  const document = fc.array(piece, { minLength: 0, maxLength: 400 }).map((parts) => parts.join(''));

  test.prop(
    [document, fc.integer({ min: 4, max: 80 }), fc.double({ min: 0, max: 0.9, noNaN: true }), fc.boolean()],
    {
      numRuns: 150,
    },
  )(
    'chunks minus overlaps give back the text; no chunk exceeds the limit; counts and overlaps are exact',
    (text, chunkSize, share, markdown) => {
      const overlap = Math.floor(share * chunkSize);
      const chunks = chunkText(text, { tokenizer: cl100k, chunkSize, overlap, markdown });
      expect(rebuild(chunks)).toBe(text);
      for (const [i, chunk] of chunks.entries()) {
        expect(text.slice(chunk.start, chunk.end)).toBe(chunk.text);
        expect(cl100k.encodeOrdinary(chunk.text).length).toBe(chunk.tokens);
        expect(chunk.tokens).toBeLessThanOrEqual(chunkSize);
        if (i === 0) continue;
        const previous = chunks[i - 1]!;
        expect(chunk.start).toBeGreaterThan(previous.start); // progress
        expect(chunk.start).toBeLessThanOrEqual(previous.end); // no gap
        expect(cl100k.encodeOrdinary(text.slice(chunk.start, previous.end)).length).toBeLessThanOrEqual(
          overlap,
        );
      }
    },
  );
});

describe('against LangChain.js RecursiveCharacterTextSplitter (@langchain/textsplitters) on the same text', () => {
  // Three paragraphs of about 65 tokens; chunks of 100 tokens with 20 of overlap, LangChain measuring tokens too.
  const paragraph = (topic: string) =>
    `The ${topic} was described at length. `.repeat(4) +
    `Every sentence about the ${topic} adds a little. `.repeat(4);
  const text = [paragraph('whale'), paragraph('ship'), paragraph('harbour')].join('\n\n');

  it('both keep chunks within 100 tokens; only ours repeats text across a paragraph break and keeps offsets', async () => {
    const ours = chunkText(text, { tokenizer: cl100k, chunkSize: 100, overlap: 20 });
    const splitter = new RecursiveCharacterTextSplitter({
      chunkSize: 100,
      chunkOverlap: 20,
      lengthFunction: (piece: string) => cl100k.encodeOrdinary(piece).length,
    });
    const theirs = await splitter.splitText(text);
    for (const chunk of theirs) expect(cl100k.encodeOrdinary(chunk).length).toBeLessThanOrEqual(100);
    for (const chunk of ours) expect(chunk.tokens).toBeLessThanOrEqual(100);
    // LangChain splits on "\n\n" first and only overlaps pieces merged at the same level: each paragraph
    // fits a chunk, so its chunks are the three paragraphs and repeat nothing (users' "overlap is ignored").
    expect(theirs).toEqual(text.split('\n\n').map((paragraph) => paragraph.trim()));
    // Ours repeats up to 20 tokens at every cut, paragraph breaks included.
    for (let i = 1; i < ours.length; i++) {
      const repeated = text.slice(ours[i]!.start, ours[i - 1]!.end);
      expect(repeated.length).toBeGreaterThan(0);
      expect(cl100k.encodeOrdinary(repeated).length).toBeLessThanOrEqual(20);
    }
    // LangChain trims whitespace, so its chunks cannot be located by offset; ours concatenate back exactly.
    expect(rebuild(ours)).toBe(text);
    console.log(
      `same text, 100-token chunks, 20 overlap: ours ${ours.length} chunks, LangChain ${theirs.length}`,
    );
  });
});
