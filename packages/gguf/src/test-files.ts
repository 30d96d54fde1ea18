// Builds GGUF bytes field by field, including invalid ones, for the reader's hostile-file tests.
// Not exported by index.ts.
import { ByteSink, type GgufValue } from './values.js';

export interface CraftedTensor {
  readonly name: string;
  readonly ne: readonly (number | bigint)[];
  readonly type: number;
  readonly offset: number | bigint;
  /** Written as n_dims instead of ne.length. */
  readonly dimCount?: number;
}

export interface CraftedFile {
  readonly magic?: readonly number[];
  readonly version?: number;
  readonly tensorCount?: number | bigint;
  readonly metadataCount?: number | bigint;
  /** Entries: a typed value, or raw bytes written after the key (type code and payload). */
  readonly metadata?: ReadonlyArray<readonly [string | Uint8Array, GgufValue | ((sink: ByteSink) => void)]>;
  readonly tensors?: readonly CraftedTensor[];
  readonly alignment?: number;
  /** Bytes of tensor data after the padded header. */
  readonly dataBytes?: number;
}

export function craftGguf(file: CraftedFile): Uint8Array {
  const sink = new ByteSink();
  for (const byte of file.magic ?? [0x47, 0x47, 0x55, 0x46]) sink.u8(byte);
  sink.u32(file.version ?? 3);
  sink.u64(file.tensorCount ?? file.tensors?.length ?? 0);
  sink.u64(file.metadataCount ?? file.metadata?.length ?? 0);
  for (const [key, value] of file.metadata ?? []) {
    if (typeof key === 'string') sink.string(key);
    else {
      sink.u64(key.length);
      for (const byte of key) sink.u8(byte);
    }
    if (typeof value === 'function') value(sink);
    else sink.value(value);
  }
  for (const tensor of file.tensors ?? []) {
    sink.string(tensor.name);
    sink.u32(tensor.dimCount ?? tensor.ne.length);
    for (const size of tensor.ne) sink.u64(size);
    sink.u32(tensor.type);
    sink.u64(tensor.offset);
  }
  if ((file.tensors?.length ?? 0) > 0) sink.padTo(file.alignment ?? 32);
  for (let i = 0; i < (file.dataBytes ?? 0); i++) sink.u8(i & 0xff);
  return sink.result().slice();
}
