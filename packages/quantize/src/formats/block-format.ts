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
  /**
   * Encodes a block with an importance matrix (ggml's `quantize_row_*_impl`): `importance[importanceFrom..]`
   * weighs each element; `rowSigma2` is the row's mean square (Σx²/n), which the 32-element formats use.
   * Absent where ggml ignores the importance matrix (F16, BF16, F32, Q8_0).
   */
  encodeBlockWeighted?(
    source: Float32Array,
    from: number,
    out: Uint8Array,
    at: number,
    importance: Float32Array,
    importanceFrom: number,
    rowSigma2: number,
  ): void;
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
