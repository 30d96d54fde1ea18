import type { BpeDefinition } from './bpe-definition.js';
import { BpeTokenizerCore } from './bpe-tokenizer.js';
import {
  definitionFromGgufFields,
  type GgufTokenizerFields,
  type GgufTokenizerInput,
  type GgufTokenizerOptions,
  ggufFieldsFromDefinition,
} from './gguf-fields.js';
import {
  definitionFromHuggingFace,
  type HuggingFaceTokenizerJson,
  huggingFaceFromDefinition,
} from './huggingface-format.js';
import { definitionFromOwnJson, type OwnTokenizerJson, ownJsonFromDefinition } from './own-format.js';
import {
  definitionFromTiktoken,
  loadTiktokenData,
  type TiktokenData,
  type TiktokenEncodingName,
} from './tiktoken-ranks.js';
import { type TrainOptions, trainBpe } from './train.js';

/**
 * A byte-level BPE tokenizer (GPT-2 / tiktoken family): train it, load it from tiktoken, Hugging Face or its
 * own JSON, encode and decode, and save it again.
 *
 * @example
 * ```ts
 * import { BpeTokenizer } from '@lm-stack/tokenizer';
 * const tokenizer = await BpeTokenizer.train(['the cat sat on the mat', 'the dog sat'], { vocabSize: 260 });
 * const ids = tokenizer.encode('the cat');
 * tokenizer.decode(ids); // 'the cat'
 * ```
 */
export class BpeTokenizer extends BpeTokenizerCore {
  /**
   * Trains merges on an iterable or async iterable of texts, holding only the distinct pre-tokenized chunks
   * and their counts in memory. Deterministic: ties between equally frequent pairs go to the pair with the
   * smaller (left id, right id), so the result depends only on the chunk counts.
   *
   * @example
   * ```ts
   * const tokenizer = await BpeTokenizer.train(lines, { vocabSize: 4096, pattern: 'gpt2', specialTokens: ['<|endoftext|>'] });
   * ```
   */
  static async train(
    texts: Iterable<string> | AsyncIterable<string>,
    options: TrainOptions,
  ): Promise<BpeTokenizer> {
    return new BpeTokenizer(await trainBpe(texts, options));
  }

  /**
   * Loads a tiktoken encoding from the rank data in the optional peer dependency `tiktoken` (or
   * `js-tiktoken`); pass `data` to supply it yourself (e.g. in a browser bundle).
   *
   * @example
   * ```ts
   * const cl100k = await BpeTokenizer.fromTiktoken('cl100k_base');
   * cl100k.encode('hello world'); // [15339, 1917]
   * ```
   */
  static async fromTiktoken(name: TiktokenEncodingName, data?: TiktokenData): Promise<BpeTokenizer> {
    return new BpeTokenizer(definitionFromTiktoken(data ?? (await loadTiktokenData(name))));
  }

  /**
   * Loads a Hugging Face `tokenizer.json` (ByteLevel BPE), given as text or parsed JSON.
   *
   * @example
   * ```ts
   * const tokenizer = BpeTokenizer.fromHuggingFace(readFileSync('tokenizer.json', 'utf8'));
   * ```
   */
  static fromHuggingFace(json: string | unknown): BpeTokenizer {
    return new BpeTokenizer(definitionFromHuggingFace(json));
  }

  /**
   * Loads the package's own JSON format (see {@link BpeTokenizer.toJSON}), given as text or parsed JSON.
   *
   * @example
   * ```ts
   * const copy = BpeTokenizer.fromJSON(JSON.stringify(tokenizer));
   * ```
   */
  static fromJSON(json: string | unknown): BpeTokenizer {
    return new BpeTokenizer(definitionFromOwnJson(json));
  }

  /**
   * Loads the tokenizer of a GGUF file from its `tokenizer.ggml.*` values (see {@link GgufTokenizerInput}).
   *
   * @example
   * ```ts
   * const tokenizer = BpeTokenizer.fromGgufFields({ model: 'gpt2', pre: 'gpt-2', tokens, tokenTypes, merges });
   * ```
   */
  static fromGgufFields(fields: GgufTokenizerInput): BpeTokenizer {
    return new BpeTokenizer(definitionFromGgufFields(fields));
  }

  /** Builds a tokenizer from a format-independent definition. */
  constructor(definition: BpeDefinition, options: { cacheSize?: number } = {}) {
    super(definition, options);
  }

  /**
   * The package's own versioned JSON format (`format: "lm-stack-bpe"`, `version: 1`); `JSON.stringify`
   * calls it.
   *
   * @example
   * ```ts
   * writeFileSync('tokenizer.lm.json', JSON.stringify(tokenizer));
   * ```
   */
  toJSON(): OwnTokenizerJson {
    return ownJsonFromDefinition(this.definition);
  }

  /**
   * A Hugging Face `tokenizer.json` object for this tokenizer (BPE model, ByteLevel pre-tokenizer and
   * decoder, special tokens as added tokens).
   *
   * @example
   * ```ts
   * writeFileSync('tokenizer.json', JSON.stringify(tokenizer.toHuggingFace()));
   * ```
   */
  toHuggingFace(): HuggingFaceTokenizerJson {
    return huggingFaceFromDefinition(this.definition);
  }

  /**
   * The `tokenizer.ggml.*` fields a GGUF file needs, as a plain object for the GGUF writer.
   *
   * @example
   * ```ts
   * const fields = tokenizer.toGgufFields({ bos: '<|endoftext|>', eos: '<|im_end|>' });
   * fields.pre; // 'gpt-2' for the gpt2 pattern
   * ```
   */
  toGgufFields(options: GgufTokenizerOptions = {}): GgufTokenizerFields {
    return ggufFieldsFromDefinition(this.definition, options);
  }
}
