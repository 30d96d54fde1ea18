import type { BpeDefinition } from './bpe-definition.js';
import { TrainingOptionsError } from './errors.js';
import { PairTable } from './pair-table.js';
import { type Pattern, patternSource, toJsRegExp } from './patterns.js';
import { encodeUtf8Into } from './utf8.js';

/** Progress of `BpeTokenizer.train`: chunk counting (`done` = texts read) then merging (`done` of `total` merges). */
export interface TrainingProgress {
  readonly phase: 'count' | 'merge';
  readonly done: number;
  readonly total: number;
}

/** Options of `BpeTokenizer.train`. */
export interface TrainOptions {
  /** Final vocabulary size: 256 byte tokens + merges + special tokens. */
  readonly vocabSize: number;
  /** Pre-tokenizer pattern. Default `'cl100k'`. */
  readonly pattern?: Pattern;
  /** Special tokens, given the last ids in this order. Default none. */
  readonly specialTokens?: readonly string[];
  /** A pair seen fewer times than this is never merged (training stops early). Default 2. */
  readonly minFrequency?: number;
  /** Called every 1,000 texts while counting and every 1,000 merges. */
  readonly onProgress?: (progress: TrainingProgress) => void;
}

/** Growable arrays that describe every distinct adjacent pair seen so far. */
class PairStore {
  readonly index = new PairTable(1 << 16);
  left = new Int32Array(1 << 16);
  right = new Int32Array(1 << 16);
  count = new Float64Array(1 << 16);
  /** Words where the pair has occurred (may hold duplicates and stale entries). */
  readonly words: number[][] = [];

  /** The index of pair (left, right), created with count 0 when new. */
  intern(left: number, right: number): number {
    const found = this.index.get(left, right);
    if (found >= 0) return found;
    const at = this.index.size;
    this.index.add(left, right, 0);
    if (at === this.left.length) this.grow();
    this.left[at] = left;
    this.right[at] = right;
    this.count[at] = 0;
    this.words.push([]);
    return at;
  }

  private grow(): void {
    const size = this.left.length * 2;
    const left = new Int32Array(size);
    const right = new Int32Array(size);
    const count = new Float64Array(size);
    left.set(this.left);
    right.set(this.right);
    count.set(this.count);
    this.left = left;
    this.right = right;
    this.count = count;
  }
}

/**
 * Max-heap of pairs by count; ties go to the smaller (left id, right id), which is the documented tie-break
 * rule: training is a pure function of the multiset of chunks, whatever the order of the input texts.
 */
class PairHeap {
  private counts = new Float64Array(1 << 16);
  private pairs = new Int32Array(1 << 16);
  size = 0;
  constructor(private readonly store: PairStore) {}

  private before(a: number, b: number): boolean {
    const countA = this.counts[a]!;
    const countB = this.counts[b]!;
    if (countA !== countB) return countA > countB;
    const pairA = this.pairs[a]!;
    const pairB = this.pairs[b]!;
    const { left, right } = this.store;
    return left[pairA]! !== left[pairB]! ? left[pairA]! < left[pairB]! : right[pairA]! < right[pairB]!;
  }

  private swap(a: number, b: number): void {
    const count = this.counts[a]!;
    const pair = this.pairs[a]!;
    this.counts[a] = this.counts[b]!;
    this.pairs[a] = this.pairs[b]!;
    this.counts[b] = count;
    this.pairs[b] = pair;
  }

  push(pair: number, count: number): void {
    if (this.size === this.counts.length) {
      const counts = new Float64Array(this.size * 2);
      const pairs = new Int32Array(this.size * 2);
      counts.set(this.counts);
      pairs.set(this.pairs);
      this.counts = counts;
      this.pairs = pairs;
    }
    let at = this.size++;
    this.counts[at] = count;
    this.pairs[at] = pair;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.before(at, parent)) break;
      this.swap(at, parent);
      at = parent;
    }
  }

  /** Removes and returns the top pair index; its stored count is left in `lastCount`. */
  lastCount = 0;
  pop(): number {
    const pair = this.pairs[0]!;
    this.lastCount = this.counts[0]!;
    this.size--;
    this.counts[0] = this.counts[this.size]!;
    this.pairs[0] = this.pairs[this.size]!;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= this.size) break;
      const child = left + 1 < this.size && this.before(left + 1, left) ? left + 1 : left;
      if (!this.before(child, at)) break;
      this.swap(child, at);
      at = child;
    }
    return pair;
  }
}

/** Counts pre-tokenized chunks; only the distinct chunks and their counts are kept, never the corpus. */
async function countChunks(
  texts: Iterable<string> | AsyncIterable<string>,
  splitter: RegExp,
  onProgress: TrainOptions['onProgress'],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let read = 0;
  for await (const text of texts) {
    const chunks = text.match(splitter);
    if (chunks !== null) {
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i]!;
        counts.set(chunk, (counts.get(chunk) ?? 0) + 1);
      }
    }
    if (++read % 1000 === 0) onProgress?.({ phase: 'count', done: read, total: 0 });
  }
  return counts;
}

/**
 * Trains byte-level BPE merges (the algorithm of Sennrich et al. 2016 on bytes, as GPT-2 and Hugging Face
 * `tokenizers` do): count chunks, then repeatedly merge the most frequent adjacent pair, updating pair
 * counts only in the words that contain it. Ids: 0–255 are the bytes, then merges in order, then specials.
 */
export async function trainBpe(
  texts: Iterable<string> | AsyncIterable<string>,
  options: TrainOptions,
): Promise<BpeDefinition> {
  const pattern = options.pattern ?? 'cl100k';
  const specials = options.specialTokens ?? [];
  const minFrequency = options.minFrequency ?? 2;
  const mergeTarget = options.vocabSize - 256 - specials.length;
  if (!Number.isInteger(options.vocabSize) || mergeTarget < 0)
    throw new TrainingOptionsError(
      'vocabSize',
      options.vocabSize,
      `is below the minimum ${256 + specials.length} (256 bytes + special tokens)`,
    );
  if (options.vocabSize > 1 << 24)
    throw new TrainingOptionsError('vocabSize', options.vocabSize, `exceeds the maximum ${1 << 24}`);
  if (!(minFrequency >= 1))
    throw new TrainingOptionsError('minFrequency', minFrequency, 'must be at least 1');
  if (new Set(specials).size !== specials.length)
    throw new TrainingOptionsError('specialTokens', specials.join(','), 'contains a duplicate');

  const counts = await countChunks(texts, toJsRegExp(patternSource(pattern)), options.onProgress);

  // All words back to back in one array; each shrinks in place as merges apply.
  let totalBytes = 0;
  for (const chunk of counts.keys()) totalBytes += chunk.length * 3;
  const symbols = new Int32Array(totalBytes);
  const wordCount = counts.size;
  const wordStart = new Int32Array(wordCount);
  const wordLength = new Int32Array(wordCount);
  const wordFrequency = new Float64Array(wordCount);
  const bytes = new Uint8Array(1 << 16);
  let used = 0;
  let word = 0;
  for (const [chunk, frequency] of counts) {
    const scratch = chunk.length * 3 <= bytes.length ? bytes : new Uint8Array(chunk.length * 3);
    const length = encodeUtf8Into(chunk, 0, chunk.length, scratch);
    wordStart[word] = used;
    wordLength[word] = length;
    wordFrequency[word] = frequency;
    for (let i = 0; i < length; i++) symbols[used++] = scratch[i]!;
    word++;
  }
  counts.clear();

  const pairs = new PairStore();
  for (let w = 0; w < wordCount; w++) {
    const start = wordStart[w]!;
    const end = start + wordLength[w]!;
    const frequency = wordFrequency[w]!;
    for (let i = start; i + 1 < end; i++) {
      const pair = pairs.intern(symbols[i]!, symbols[i + 1]!);
      pairs.count[pair]! += frequency;
      pairs.words[pair]!.push(w);
    }
  }
  const heap = new PairHeap(pairs);
  for (let pair = 0; pair < pairs.index.size; pair++) heap.push(pair, pairs.count[pair]!);

  const tokens: Uint8Array[] = Array.from({ length: 256 }, (_, byte) => Uint8Array.of(byte));
  const merges: (readonly [number, number])[] = [];
  let lastMergeOfWord = new Int32Array(wordCount).fill(-1);
  let touchedStamp = new Int32Array(1 << 16).fill(-1);
  const touched: number[] = [];

  const change = (left: number, right: number, delta: number, w: number, merge: number) => {
    const pair = pairs.intern(left, right);
    pairs.count[pair]! += delta;
    if (delta > 0) {
      pairs.words[pair]!.push(w);
      if (pair >= touchedStamp.length) {
        const grown = new Int32Array(touchedStamp.length * 2).fill(-1);
        grown.set(touchedStamp);
        touchedStamp = grown;
      }
      if (touchedStamp[pair] !== merge) {
        touchedStamp[pair] = merge;
        touched.push(pair);
      }
    }
  };

  while (merges.length < mergeTarget && heap.size > 0) {
    const best = heap.pop();
    const current = pairs.count[best]!;
    if (heap.lastCount !== current) {
      // Stale entry: counts of old pairs only fall, so re-queue it at its true count.
      if (current > 0) heap.push(best, current);
      continue;
    }
    if (current < minFrequency) break;
    const merge = merges.length;
    const a = pairs.left[best]!;
    const b = pairs.right[best]!;
    const created = 256 + merge;
    merges.push([a, b]);
    const joined = new Uint8Array(tokens[a]!.length + tokens[b]!.length);
    joined.set(tokens[a]!);
    joined.set(tokens[b]!, tokens[a]!.length);
    tokens.push(joined);

    touched.length = 0;
    for (const w of pairs.words[best]!) {
      if (lastMergeOfWord[w] === merge) continue;
      lastMergeOfWord[w] = merge;
      const start = wordStart[w]!;
      let end = start + wordLength[w]!;
      const frequency = wordFrequency[w]!;
      for (let i = start; i + 1 < end; i++) {
        if (symbols[i] !== a || symbols[i + 1] !== b) continue;
        if (i > start) {
          change(symbols[i - 1]!, a, -frequency, w, merge);
          change(symbols[i - 1]!, created, frequency, w, merge);
        }
        if (i + 2 < end) {
          change(b, symbols[i + 2]!, -frequency, w, merge);
          change(created, symbols[i + 2]!, frequency, w, merge);
        }
        symbols[i] = created;
        symbols.copyWithin(i + 1, i + 2, end);
        end--;
      }
      wordLength[w] = end - start;
    }
    pairs.count[best] = 0;
    pairs.words[best] = [];
    for (const pair of touched) heap.push(pair, pairs.count[pair]!);
    if (merges.length % 1000 === 0)
      options.onProgress?.({ phase: 'merge', done: merges.length, total: mergeTarget });
  }
  lastMergeOfWord = new Int32Array(0);

  const specialTokens = new Map<string, number>();
  specials.forEach((text, i) => {
    specialTokens.set(text, tokens.length + i);
  });
  return { tokens, merges, specialTokens, pattern, ignoreMerges: false };
}
