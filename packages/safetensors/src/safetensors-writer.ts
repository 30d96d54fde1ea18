import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { DTYPE_SIZE, type SafetensorsDtype } from './dtypes.js';
import { SafetensorsWriteError } from './errors.js';

interface Declared {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * Writes a safetensors file: declare metadata and tensors, then write each tensor's bytes in declaration
 * order (one tensor in memory at a time). The header's offsets are contiguous from 0; it is padded with
 * spaces to a multiple of 8 bytes, as the reference implementation does. The file appears atomically on
 * `finish()` (temporary file, fsync, rename); `abort()` removes the temporary file.
 *
 * @example
 * ```ts
 * const writer = new SafetensorsWriter('adapter_model.safetensors');
 * writer.setMetadata('format', 'pt');
 * writer.declareTensor('lora_A.weight', { dtype: 'F32', shape: [8, 64] });
 * await writer.writeTensor('lora_A.weight', new Float32Array(8 * 64));
 * await writer.finish();
 * ```
 */
export class SafetensorsWriter {
  private readonly metadata = new Map<string, string>();
  private readonly tensors: Declared[] = [];
  private readonly temporaryPath: string;
  private file: FileHandle | undefined;
  private position = 0;
  private next = 0;
  private size = 0;
  private started = false;

  constructor(readonly path: string) {
    this.temporaryPath = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
  }

  /**
   * Adds a `__metadata__` entry (strings only, as the format requires).
   *
   * @example
   * ```ts
   * writer.setMetadata('format', 'pt');
   * ```
   */
  setMetadata(key: string, value: string): void {
    if (this.started)
      throw new SafetensorsWriteError(key, 'metadata must be set before tensor data is written');
    if (this.metadata.has(key)) throw new SafetensorsWriteError(key, 'duplicate metadata key');
    if (typeof value !== 'string') throw new SafetensorsWriteError(key, 'metadata values must be strings');
    this.metadata.set(key, value);
  }

  /**
   * Declares a tensor; data follows with {@link writeTensor} in declaration order.
   *
   * @example
   * ```ts
   * writer.declareTensor('base_model.model.layers.0.self_attn.q_proj.lora_A.weight', { dtype: 'F32', shape: [8, 64] });
   * ```
   */
  declareTensor(
    name: string,
    { dtype, shape }: { readonly dtype: SafetensorsDtype; readonly shape: readonly number[] },
  ): void {
    if (this.started)
      throw new SafetensorsWriteError(name, 'tensors must be declared before tensor data is written');
    if (name === '__metadata__' || name.length === 0)
      throw new SafetensorsWriteError(name, 'reserved or empty tensor name');
    if (this.tensors.some((tensor) => tensor.name === name))
      throw new SafetensorsWriteError(name, 'duplicate tensor name');
    const size = DTYPE_SIZE.get(dtype);
    if (size === undefined) throw new SafetensorsWriteError(name, `unknown dtype ${dtype}`);
    if (!shape.every((dimension) => Number.isSafeInteger(dimension) && dimension >= 0))
      throw new SafetensorsWriteError(name, `shape [${shape.join(', ')}] must be non-negative integers`);
    const bytes = shape.reduce((total, dimension) => total * dimension, size);
    if (!Number.isSafeInteger(bytes))
      throw new SafetensorsWriteError(name, `shape [${shape.join(', ')}] is too large`);
    this.tensors.push({ name, dtype, shape: [...shape], begin: this.size, end: this.size + bytes });
    this.size += bytes;
  }

  /**
   * Writes the next declared tensor's data: bytes, or a typed array of exactly the declared size.
   *
   * @example
   * ```ts
   * await writer.writeTensor('w', new Float32Array(8 * 64));
   * ```
   */
  async writeTensor(name: string, data: TypedArray): Promise<void> {
    const tensor = this.tensors[this.next];
    if (tensor === undefined || tensor.name !== name)
      throw new SafetensorsWriteError(
        name,
        tensor
          ? `tensors are written in declaration order; next is ${tensor.name}`
          : 'no tensor left to write',
      );
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.length !== tensor.end - tensor.begin)
      throw new SafetensorsWriteError(
        name,
        `${tensor.dtype}[${tensor.shape.join(', ')}] needs ${tensor.end - tensor.begin} bytes, got ${bytes.length}`,
      );
    await this.start();
    await this.append(bytes);
    this.next++;
  }

  /**
   * Completes the file (every declared tensor written): fsync and rename.
   *
   * @example
   * ```ts
   * await writer.finish();
   * ```
   */
  async finish(): Promise<void> {
    const missing = this.tensors[this.next];
    if (missing !== undefined) throw new SafetensorsWriteError(missing.name, 'tensor data was never written');
    await this.start();
    try {
      await this.file!.sync();
      await this.file!.close();
      this.file = undefined;
      await rename(this.temporaryPath, this.path);
    } catch (error) {
      await this.abort();
      throw error;
    }
  }

  /**
   * Removes the temporary file; the target path is untouched.
   *
   * @example
   * ```ts
   * await writer.abort();
   * ```
   */
  async abort(): Promise<void> {
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    await rm(this.temporaryPath, { force: true });
  }

  private async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const header: Record<string, unknown> = Object.create(null);
    if (this.metadata.size > 0) header.__metadata__ = Object.fromEntries(this.metadata);
    for (const tensor of this.tensors)
      header[tensor.name] = {
        dtype: tensor.dtype,
        shape: tensor.shape,
        data_offsets: [tensor.begin, tensor.end],
      };
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
    const encoded = new TextEncoder().encode(json);
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(encoded.length), true);
    this.file = await open(this.temporaryPath, 'wx');
    await this.append(prefix);
    await this.append(encoded);
  }

  private async append(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await this.file!.write(bytes, written, bytes.length - written, this.position);
      written += bytesWritten;
      this.position += bytesWritten;
    }
  }
}
