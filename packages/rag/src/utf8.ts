import { InvalidUtf8Error } from './errors.js';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence (for the error). */
function firstInvalidByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const byte = bytes[i]!;
    // RFC 3629: lead bytes C2..F4; continuation bytes 80..BF.
    const length =
      byte < 0x80
        ? 1
        : byte >= 0xc2 && byte <= 0xdf
          ? 2
          : byte >= 0xe0 && byte <= 0xef
            ? 3
            : byte >= 0xf0 && byte <= 0xf4
              ? 4
              : 0;
    if (length === 0 || i + length > bytes.length) return i;
    for (let k = 1; k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    try {
      strict.decode(bytes.subarray(i, i + length));
    } catch {
      return i; // overlong, surrogate or above U+10FFFF
    }
    i += length;
  }
  return bytes.length;
}

/** Decodes UTF-8 (a BOM is dropped), or throws InvalidUtf8Error with the offset of the first bad byte. */
export function decodeUtf8(file: string, bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    throw new InvalidUtf8Error(file, firstInvalidByte(bytes));
  }
}
