/**
 * Base class of every error this package throws, so callers can catch them all with one `instanceof`.
 *
 * @example
 * ```ts
 * try { tokenizer.decode([999_999]); } catch (error) { if (error instanceof TokenizerError) console.log(error.message); }
 * ```
 */
export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

/**
 * A tokenizer file (own JSON, Hugging Face `tokenizer.json`, tiktoken ranks) is malformed. `field` names the
 * JSON path or record that is wrong and `value` holds the offending value.
 *
 * @example
 * ```ts
 * BpeTokenizer.fromJSON('{"format":"nope"}'); // TokenizerFormatError: format: expected "lm-stack-bpe", got "nope"
 * ```
 */
export class TokenizerFormatError extends TokenizerError {
  override name = 'TokenizerFormatError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/**
 * An id passed to `decode` is not in the vocabulary (`0 <= id < vocabSize` is required).
 *
 * @example
 * ```ts
 * tokenizer.decode([70_000]); // UnknownTokenIdError: token id 70000 is outside the vocabulary [0, 512)
 * ```
 */
export class UnknownTokenIdError extends TokenizerError {
  override name = 'UnknownTokenIdError';
  constructor(
    readonly id: number,
    readonly vocabSize: number,
  ) {
    super(`token id ${id} is outside the vocabulary [0, ${vocabSize})`);
  }
}

/**
 * `encode` met the text of a special token that the caller did not allow (tiktoken's semantics: special
 * tokens in user text are refused unless listed in `allowedSpecial`, or encoded as text with `encodeOrdinary`).
 *
 * @example
 * ```ts
 * tokenizer.encode('hi <|endoftext|>'); // DisallowedSpecialTokenError: ... at UTF-16 offset 3
 * ```
 */
export class DisallowedSpecialTokenError extends TokenizerError {
  override name = 'DisallowedSpecialTokenError';
  constructor(
    readonly token: string,
    readonly offset: number,
  ) {
    super(
      `the text contains the special token ${JSON.stringify(token)} at UTF-16 offset ${offset}; ` +
        'pass it in allowedSpecial to encode it as a special token, or use encodeOrdinary to encode it as text',
    );
  }
}

/**
 * Training options that cannot work, e.g. a vocabulary smaller than the 256 byte tokens plus special tokens.
 *
 * @example
 * ```ts
 * BpeTokenizer.train(['x'], { vocabSize: 100 }); // TrainingOptionsError: vocabSize 100 is below the minimum 256
 * ```
 */
export class TrainingOptionsError extends TokenizerError {
  override name = 'TrainingOptionsError';
  constructor(
    readonly option: string,
    readonly value: unknown,
    problem: string,
  ) {
    super(`${option} ${String(value)} ${problem}`);
  }
}

/**
 * A tokenizer was asked for by a name this package does not know, or its data package is not installed.
 *
 * @example
 * ```ts
 * await BpeTokenizer.fromTiktoken('p50k_base'); // UnsupportedEncodingError
 * ```
 */
export class UnsupportedEncodingError extends TokenizerError {
  override name = 'UnsupportedEncodingError';
  constructor(
    readonly encoding: string,
    problem: string,
  ) {
    super(`${encoding}: ${problem}`);
  }
}
