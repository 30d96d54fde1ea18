/**
 * GPT-2's reversible map from bytes to printable Unicode characters (openai/gpt-2 `encoder.py`,
 * `bytes_to_unicode`): printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100.. in order.
 * Hugging Face `tokenizer.json` and GGUF store byte-level tokens in this form.
 */
function buildByteToUnicode(): string[] {
  const table = new Array<string>(256);
  const printable = (byte: number) =>
    (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    table[byte] = String.fromCharCode(printable(byte) ? byte : 256 + shifted++);
  }
  return table;
}

/** `BYTE_TO_UNICODE[b]` is the one-character string that stands for byte `b`. */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();

const UNICODE_TO_BYTE = new Map<number, number>(
  BYTE_TO_UNICODE.map((char, byte) => [char.charCodeAt(0), byte]),
);

/** Bytes → byte-unicode string, e.g. `[0x20, 0x68]` → `"Ġh"`. */
export function bytesToUnicode(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += BYTE_TO_UNICODE[byte];
  return out;
}

/** Byte-unicode string → bytes, or `undefined` when a character is outside the 256-character alphabet. */
export function unicodeToBytes(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const byte = UNICODE_TO_BYTE.get(text.charCodeAt(i));
    if (byte === undefined) return undefined;
    bytes[i] = byte;
  }
  return bytes;
}
