/**
 * One ggml tensor type as a block codec: `blockSize` float32 values become `typeSize` bytes. Every format
 * quantizes its blocks independently, exactly as ggml's reference (`quantize_row_*_ref`) functions do.
 */
export interface BlockFormat {
  /** ggml's name, as in GGUF (`Q4_0`, `Q6_K`, …). */
  readonly name: string;
  /** ggml.h `enum ggml_type` value. */
  readonly id: number;
  /** Elements per block. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
  /** Where the layout comes from. */
  readonly source: string;
  /** Encodes `source[from, from + blockSize)` into `out[at, at + typeSize)`. */
  encodeBlock(source: Float32Array, from: number, out: Uint8Array, at: number): void;
  /** Decodes `bytes[at, at + typeSize)` into `out[to, to + blockSize)`. */
  decodeBlock(bytes: Uint8Array, at: number, out: Float32Array, to: number): void;
}

/** Little-endian u16 read and write: ggml stores `ggml_half` natively, and GGUF is little-endian. */
export function readU16(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

export function writeU16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >> 8) & 0xff;
}
