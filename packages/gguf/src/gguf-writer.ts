import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { quantizeGgml } from '@lm-stack/quantize';
import { GgufWriteError } from './errors.js';
import { GGML_TYPE_INFO, ggmlTypeId } from './ggml-type-table.js';
import { ByteSink, checkValue, type GgufValue } from './values.js';

/** GGUF_MAGIC "GGUF" and the version this writer produces (ggml/include/gguf.h). */
const MAGIC = [0x47, 0x47, 0x55, 0x46];
const VERSION = 3;
/** gguf.h GGUF_DEFAULT_ALIGNMENT. */
const DEFAULT_ALIGNMENT = 32;
/** ggml.h GGML_MAX_DIMS and GGML_MAX_NAME (64 bytes including the terminating NUL). */
const MAX_DIMS = 4;
const MAX_NAME_BYTES = 63;

/**
 * The writer's states, in the only order they can happen. Metadata and tensor declarations may be added
 * until the first tensor's data is written; that call writes the header, and data follows tensor by tensor.
 */
export type GgufWriterState = 'declaring' | 'data' | 'finished' | 'failed';

/** A tensor as declared to the writer. */
export interface GgufTensorDeclaration {
  /** Row-major shape, outermost first: a `W[out][in]` matrix is `[out, in]` (GGUF stores `ne = [in, out]`). */
  readonly shape: readonly number[];
  /** ggml type name: `'F32'`, `'F16'`, `'BF16'`, `'Q8_0'`, `'Q4_K'`, … */
  readonly type: string;
}

interface DeclaredTensor {
  readonly name: string;
  readonly ne: number[];
  readonly typeId: number;
  readonly type: string;
  readonly elements: number;
  readonly byteLength: number;
  readonly offset: number;
}

/** Options of {@link GgufWriter}. */
export interface GgufWriterOptions {
  /** `general.alignment`: a power of two; default 32. Written to the file when not 32. */
  readonly alignment?: number;
}

const encoder = new TextEncoder();

/**
 * Writes a GGUF v3 file (little-endian) that llama.cpp and Ollama load. Declare metadata and tensors,
 * then write each tensor's data in declaration order; memory holds one tensor at a time, and offsets are
 * 64-bit, so files above 4 GiB work. The file appears only on `finish()`: it is written to a temporary
 * name beside the target, fsynced and renamed. Duplicate keys and tensor names, values outside their
 * type, and data of the wrong size are refused with `GgufWriteError` before anything is written.
 *
 * @example
 * ```ts
 * const writer = new GgufWriter('tiny.gguf');
 * writer.setMetadata('general.architecture', { type: 'string', value: 'llama' });
 * writer.declareTensor('token_embd.weight', { shape: [256, 64], type: 'F16' });
 * await writer.writeTensor('token_embd.weight', new Float32Array(256 * 64));
 * await writer.finish();
 * ```
 */
export class GgufWriter {
  private currentState: GgufWriterState = 'declaring';
  private readonly metadata = new Map<string, GgufValue>();
  private readonly tensors: DeclaredTensor[] = [];
  private readonly tensorNames = new Set<string>();
  private readonly alignment: number;
  private readonly temporaryPath: string;
  private file: FileHandle | undefined;
  private position = 0;
  private nextTensor = 0;
  private dataSize = 0;

  constructor(
    readonly path: string,
    options: GgufWriterOptions = {},
  ) {
    this.alignment = options.alignment ?? DEFAULT_ALIGNMENT;
    if (
      !Number.isInteger(this.alignment) ||
      this.alignment <= 0 ||
      this.alignment > 0xffffffff ||
      (this.alignment & (this.alignment - 1)) !== 0
    )
      throw new GgufWriteError(
        'declaring',
        'alignment',
        `alignment ${this.alignment} is not a power of two that fits a u32`,
      );
    if (this.alignment !== DEFAULT_ALIGNMENT)
      this.metadata.set('general.alignment', { type: 'u32', value: this.alignment });
    this.temporaryPath = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
  }

  /** The state machine's current state. */
  get state(): GgufWriterState {
    return this.currentState;
  }

  private expect(state: GgufWriterState, subject: string, action: string): void {
    if (this.currentState !== state)
      throw new GgufWriteError(
        this.currentState,
        subject,
        `cannot ${action} in state "${this.currentState}"`,
      );
  }

  /**
   * Adds one metadata key with an explicitly typed value.
   *
   * @example
   * ```ts
   * writer.setMetadata('llama.context_length', { type: 'u32', value: 2048 });
   * ```
   */
  setMetadata(key: string, value: GgufValue): void {
    this.expect('declaring', key, 'add metadata');
    if (key.length === 0)
      throw new GgufWriteError(this.currentState, 'metadata key', 'metadata keys must not be empty');
    if (this.metadata.has(key)) {
      const reason = key === 'general.alignment' ? 'it is set by the alignment option' : 'duplicate key';
      throw new GgufWriteError(this.currentState, key, reason);
    }
    checkValue(value, key);
    this.metadata.set(key, value);
  }

  /**
   * Adds many metadata keys (e.g. from {@link llamaMetadata}).
   *
   * @example
   * ```ts
   * writer.setMetadataEntries(llamaMetadata({ ... }));
   * ```
   */
  setMetadataEntries(entries: Iterable<readonly [string, GgufValue]>): void {
    for (const [key, value] of entries) this.setMetadata(key, value);
  }

  /**
   * Declares a tensor: its name, row-major shape and ggml type. Its data is written later with
   * {@link writeTensor}, in declaration order.
   *
   * @example
   * ```ts
   * writer.declareTensor('blk.0.attn_q.weight', { shape: [4096, 4096], type: 'Q4_K' });
   * ```
   */
  declareTensor(name: string, declaration: GgufTensorDeclaration): void {
    this.expect('declaring', name, 'declare a tensor');
    const nameBytes = encoder.encode(name).length;
    if (nameBytes === 0 || nameBytes > MAX_NAME_BYTES || !name.isWellFormed())
      throw new GgufWriteError(
        this.currentState,
        name,
        `tensor names must be 1–${MAX_NAME_BYTES} bytes of UTF-8 (ggml GGML_MAX_NAME)`,
      );
    if (this.tensorNames.has(name))
      throw new GgufWriteError(this.currentState, name, 'duplicate tensor name');
    const { shape, type } = declaration;
    if (shape.length === 0 || shape.length > MAX_DIMS)
      throw new GgufWriteError(
        this.currentState,
        name,
        `a tensor has 1–${MAX_DIMS} dimensions, got ${shape.length}`,
      );
    let elements = 1;
    for (const size of shape) {
      if (!Number.isSafeInteger(size) || size <= 0)
        throw new GgufWriteError(this.currentState, name, `dimension ${size} is not a positive integer`);
      elements *= size;
    }
    if (!Number.isSafeInteger(elements))
      throw new GgufWriteError(this.currentState, name, `${shape.join('×')} elements overflow`);
    const typeId = ggmlTypeId(type);
    if (typeId === undefined) throw new GgufWriteError(this.currentState, name, `unknown ggml type ${type}`);
    const { blockSize, typeSize } = GGML_TYPE_INFO[typeId]!;
    const ne = [...shape].reverse();
    if (ne[0]! % blockSize !== 0)
      throw new GgufWriteError(
        this.currentState,
        name,
        `row length ${ne[0]} is not a multiple of ${type}'s block of ${blockSize}`,
      );
    const byteLength = (elements / blockSize) * typeSize;
    this.tensors.push({ name, ne, typeId, type, elements, byteLength, offset: this.dataSize });
    this.tensorNames.add(name);
    this.dataSize += byteLength + padding(byteLength, this.alignment);
  }

  /**
   * Writes the next declared tensor's data: a `Float32Array` for F32, F16 and BF16 tensors (converted as
   * ggml does), or the already encoded bytes (e.g. from `quantizeGgml`) of exactly the declared size.
   *
   * @example
   * ```ts
   * await writer.writeTensor('output.weight', quantizeGgml('Q6_K', weights));
   * ```
   */
  async writeTensor(name: string, data: Float32Array | Uint8Array): Promise<void> {
    if (this.currentState === 'declaring') {
      this.currentState = 'data';
      try {
        await this.writeHeader();
      } catch (error) {
        await this.fail();
        throw error;
      }
    }
    this.expect('data', name, 'write tensor data');
    const tensor = this.tensors[this.nextTensor];
    if (tensor === undefined)
      throw new GgufWriteError(this.currentState, name, 'every declared tensor has been written');
    if (tensor.name !== name)
      throw new GgufWriteError(
        this.currentState,
        name,
        `tensors are written in declaration order; next is ${tensor.name}`,
      );
    const bytes = encodeTensor(tensor, data);
    try {
      await this.write(bytes);
      const gap = padding(bytes.length, this.alignment);
      if (gap > 0) await this.write(new Uint8Array(gap));
    } catch (error) {
      await this.fail();
      throw error;
    }
    this.nextTensor++;
  }

  /**
   * Completes the file: every declared tensor must have been written. fsyncs and renames the temporary
   * file to the target path.
   *
   * @example
   * ```ts
   * await writer.finish();
   * ```
   */
  async finish(): Promise<void> {
    if (this.currentState === 'declaring') {
      if (this.tensors.length > 0)
        throw new GgufWriteError(this.currentState, this.tensors[0]!.name, 'tensor data was never written');
      this.currentState = 'data';
      await this.writeHeader();
    }
    this.expect('data', this.path, 'finish');
    const missing = this.tensors[this.nextTensor];
    if (missing !== undefined)
      throw new GgufWriteError(this.currentState, missing.name, 'tensor data was never written');
    try {
      await this.file!.sync();
      await this.file!.close();
      this.file = undefined;
      await rename(this.temporaryPath, this.path);
      this.currentState = 'finished';
    } catch (error) {
      await this.fail();
      throw error;
    }
  }

  /**
   * Abandons the file: the temporary file is removed and the target path is left untouched.
   *
   * @example
   * ```ts
   * await writer.abort();
   * ```
   */
  async abort(): Promise<void> {
    if (this.currentState !== 'finished') await this.fail();
  }

  private async fail(): Promise<void> {
    this.currentState = 'failed';
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    await rm(this.temporaryPath, { force: true });
  }

  private async writeHeader(): Promise<void> {
    const sink = new ByteSink();
    for (const byte of MAGIC) sink.u8(byte);
    sink.u32(VERSION);
    sink.u64(this.tensors.length);
    sink.u64(this.metadata.size);
    for (const [key, value] of this.metadata) {
      sink.string(key);
      sink.value(value);
    }
    for (const tensor of this.tensors) {
      sink.string(tensor.name);
      sink.u32(tensor.ne.length);
      for (const size of tensor.ne) sink.u64(size);
      sink.u32(tensor.typeId);
      sink.u64(tensor.offset);
    }
    sink.padTo(this.alignment);
    this.file = await open(this.temporaryPath, 'wx');
    await this.write(sink.result());
  }

  private async write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await this.file!.write(bytes, written, bytes.length - written, this.position);
      written += bytesWritten;
      this.position += bytesWritten;
    }
  }
}

function padding(length: number, alignment: number): number {
  return (alignment - (length % alignment)) % alignment;
}

function encodeTensor(tensor: DeclaredTensor, data: Float32Array | Uint8Array): Uint8Array {
  if (data instanceof Float32Array) {
    if (data.length !== tensor.elements)
      throw new GgufWriteError(
        'data',
        tensor.name,
        `expected ${tensor.elements} values for shape ne=[${tensor.ne.join(', ')}], got ${data.length}`,
      );
    if (tensor.type === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength); // written as is, no copy
    if (tensor.type === 'F16' || tensor.type === 'BF16') return quantizeGgml(tensor.type, data);
    throw new GgufWriteError(
      'data',
      tensor.name,
      `${tensor.type} data must be encoded bytes (quantizeGgml), not a Float32Array`,
    );
  }
  if (data.length !== tensor.byteLength)
    throw new GgufWriteError(
      'data',
      tensor.name,
      `${tensor.type} data must be ${tensor.byteLength} bytes, got ${data.length}`,
    );
  return data;
}
