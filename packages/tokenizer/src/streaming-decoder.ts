import type { BpeTokenizerCore } from './bpe-tokenizer.js';

/**
 * Decodes ids one at a time for streaming output. Bytes of a character split across tokens are held back
 * until the character is complete, so no U+FFFD appears mid-stream; `flush()` releases what is left.
 *
 * @example
 * ```ts
 * const decoder = new StreamingDecoder(tokenizer);
 * for (const id of ids) process.stdout.write(decoder.push(id));
 * process.stdout.write(decoder.flush());
 * ```
 */
export class StreamingDecoder {
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(private readonly tokenizer: Pick<BpeTokenizerCore, 'tokenBytes'>) {}

  /** Adds one token and returns the text that is now complete (possibly empty). */
  push(id: number): string {
    return this.decoder.decode(this.tokenizer.tokenBytes(id), { stream: true });
  }

  /** Returns the held-back bytes as text (incomplete characters become U+FFFD) and resets the decoder. */
  flush(): string {
    return this.decoder.decode();
  }
}
