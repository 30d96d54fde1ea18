/** The bytes of an F32 tensor read from a file, as floats (copied: file reads are not 4-byte aligned). */
export function float32Copy(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
