/** Zero units kept after a text's end, so a reader of up to 8 units at any piece start stays in bounds. */
export const UNIT_PADDING = 8;

/** Node's Buffer, when the runtime has one: it copies a string's UTF-16 units natively (10× a JS loop). */
const NodeBuffer = (
  globalThis as {
    Buffer?: {
      from(
        buffer: ArrayBufferLike,
        byteOffset: number,
        length: number,
      ): { write(text: string, offset: number, encoding: 'utf16le'): number };
    };
  }
).Buffer;

/**
 * Writes the UTF-16 units of `text` to the start of `target` (which has room for them), followed by
 * {@link UNIT_PADDING} zeros when `target` has room for those too.
 *
 * @example
 * ```ts
 * const units = new Uint16Array(2 + UNIT_PADDING);
 * writeUnits('hé', units); // units: [104, 233, 0, 0, 0, 0, 0, 0, 0, 0]
 * ```
 */
export function writeUnits(text: string, target: Uint16Array): void {
  const length = text.length;
  if (NodeBuffer) NodeBuffer.from(target.buffer, target.byteOffset, length * 2).write(text, 0, 'utf16le');
  else for (let i = 0; i < length; i++) target[i] = text.charCodeAt(i);
  target.fill(0, length, Math.min(target.length, length + UNIT_PADDING));
}

let scratch = new Uint16Array(1 << 12);

/**
 * The UTF-16 units of `text` in a typed array, followed by {@link UNIT_PADDING} zeros: typed-array reads are
 * cheaper than `charCodeAt` in code that jumps between pieces. The array is reused by the next call: read it
 * before calling again.
 *
 * @example
 * ```ts
 * unitsOf('hé').subarray(0, 2); // Uint16Array [104, 233]
 * ```
 */
export function unitsOf(text: string): Uint16Array {
  if (scratch.length < text.length + UNIT_PADDING)
    scratch = new Uint16Array(Math.max(text.length + UNIT_PADDING, scratch.length * 2));
  writeUnits(text, scratch);
  return scratch;
}
