import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quantizeGgml } from '@lm-stack/quantize';
import { afterAll, describe, expect, it } from 'vitest';
import { GgufWriteError, GgufWriter, llamaMetadata, parseGguf, readGguf } from './index.js';

const directory = mkdtempSync(join(tmpdir(), 'lm-stack-gguf-writer-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const path = (name: string) => join(directory, name);

describe('GgufWriter', () => {
  it('refuses bad metadata before anything is written', () => {
    const writer = new GgufWriter(path('refused.gguf'));
    writer.setMetadata('a', { type: 'u8', value: 1 });
    expect(() => writer.setMetadata('a', { type: 'u8', value: 2 })).toThrow(/duplicate key/);
    expect(() => writer.setMetadata('b', { type: 'u8', value: 300 })).toThrow(
      'u8 value 300 is out of range [0, 255]',
    );
    expect(() => writer.setMetadata('c', { type: 'i32', value: 1.5 })).toThrow(GgufWriteError);
    expect(() => writer.setMetadata('d', { type: 'u64', value: 5 as unknown as bigint })).toThrow(
      /must be a bigint/,
    );
    expect(() => writer.setMetadata('e', { type: 'string', value: 'x\ud800' })).toThrow(/well-formed/);
    expect(() => writer.setMetadata('f', { type: 'array', itemType: 'u16', value: [1, 70000] })).toThrow(
      /u16 value 70000/,
    );
    expect(() => writer.setMetadata('', { type: 'u8', value: 1 })).toThrow(/must not be empty/);
    expect(() => writer.declareTensor('n'.repeat(64), { shape: [32], type: 'F32' })).toThrow(/1–63 bytes/);
    expect(() => writer.declareTensor('t', { shape: [1, 1, 1, 1, 1], type: 'F32' })).toThrow(
      /1–4 dimensions/,
    );
    expect(() => writer.declareTensor('t', { shape: [0, 32], type: 'F32' })).toThrow(/dimension 0/);
    expect(() => writer.declareTensor('t', { shape: [32], type: 'Q7_K' })).toThrow(/unknown ggml type Q7_K/);
    expect(() => writer.declareTensor('t', { shape: [2, 100], type: 'Q4_K' })).toThrow(
      "row length 100 is not a multiple of Q4_K's block of 256",
    );
    writer.declareTensor('t', { shape: [32], type: 'F32' });
    expect(() => writer.declareTensor('t', { shape: [32], type: 'F32' })).toThrow(/duplicate tensor name/);
    expect(readdirSync(directory).filter((name) => name.startsWith('refused'))).toEqual([]);
  });

  it('follows its state machine and names the state in errors', async () => {
    const writer = new GgufWriter(path('states.gguf'));
    writer.declareTensor('a', { shape: [32], type: 'F32' });
    writer.declareTensor('b', { shape: [64], type: 'Q8_0' });
    expect(writer.state).toBe('declaring');
    await expect(writer.writeTensor('b', new Uint8Array(68))).rejects.toThrow(/next is a/);
    expect(writer.state).toBe('data');
    await writer.writeTensor('a', new Float32Array(32));
    expect(() => writer.setMetadata('late', { type: 'u8', value: 1 })).toThrow(
      'cannot add metadata in state "data" (late; writer state: data)',
    );
    await expect(writer.writeTensor('b', new Float32Array(64))).rejects.toThrow(/must be encoded bytes/);
    await expect(writer.writeTensor('b', new Uint8Array(10))).rejects.toThrow(
      'Q8_0 data must be 68 bytes, got 10',
    );
    await expect(writer.finish()).rejects.toThrow('tensor data was never written (b; writer state: data)');
    await writer.writeTensor('b', quantizeGgml('Q8_0', new Float32Array(64).fill(0.5)));
    await writer.finish();
    expect(writer.state).toBe('finished');
    const file = await readGguf(path('states.gguf'));
    expect(file.tensors.map((tensor) => [tensor.name, tensor.offset])).toEqual([
      ['a', 0],
      ['b', 128],
    ]);
  });

  it('writes a file only on finish, and abort leaves nothing behind', async () => {
    const target = path('atomic.gguf');
    const writer = new GgufWriter(target);
    writer.setMetadataEntries(
      llamaMetadata({
        name: 'x',
        contextLength: 8,
        embeddingLength: 32,
        blockCount: 1,
        feedForwardLength: 64,
        headCount: 2,
        headCountKv: 2,
        ropeFreqBase: 1e4,
        rmsNormEpsilon: 1e-5,
        fileType: 0,
      }),
    );
    writer.declareTensor('w', { shape: [4, 32], type: 'F16' });
    await writer.writeTensor('w', new Float32Array(128));
    expect(existsSync(target)).toBe(false);
    await writer.abort();
    expect(readdirSync(directory).filter((name) => name.startsWith('atomic'))).toEqual([]);
  });

  it('puts llama keys in the types llama.cpp expects', () => {
    const entries = new Map(
      llamaMetadata({
        name: 'x',
        contextLength: 8,
        embeddingLength: 32,
        blockCount: 1,
        feedForwardLength: 64,
        headCount: 2,
        headCountKv: 1,
        ropeFreqBase: 1e4,
        rmsNormEpsilon: 1e-5,
        fileType: 7,
        quantized: true,
      }),
    );
    expect(entries.get('llama.attention.layer_norm_rms_epsilon')?.type).toBe('f32');
    expect(entries.get('llama.context_length')).toEqual({ type: 'u32', value: 8 });
    expect(entries.get('llama.rope.dimension_count')).toEqual({ type: 'u32', value: 16 });
    expect(entries.get('general.quantization_version')).toEqual({ type: 'u32', value: 2 });
  });

  it('keeps the previous file whole when the writing process is killed (kill -9)', async () => {
    const target = path('killed.gguf');
    const previous = new GgufWriter(target);
    previous.setMetadata('version', { type: 'string', value: 'previous' });
    await previous.finish();
    const before = readFileSync(target);

    const fixture = fileURLToPath(new URL('./kill-during-write.fixture.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, target, '64'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('writing')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(readFileSync(target).equals(before)).toBe(true);
    expect((await readGguf(target)).metadata.get('version')).toEqual({ type: 'string', value: 'previous' });
  });
});

describe('GgufWriter offsets beyond 4 GiB', () => {
  it('writes 64-bit offsets that the reader reads back', async () => {
    const target = path('large.gguf');
    const writer = new GgufWriter(target);
    // 2 × 2^31 F32 values = 16 GiB of declared data; only the header and the first tensor are written.
    writer.declareTensor('small', { shape: [32], type: 'F32' });
    writer.declareTensor('huge', { shape: [2, 2 ** 30, 2], type: 'F32' });
    writer.declareTensor('after', { shape: [32], type: 'F32' });
    await writer.writeTensor('small', new Float32Array(32));
    const partial = readdirSync(directory).find(
      (name) => name.startsWith('large.gguf.') && name.endsWith('.partial'),
    )!;
    const written = readFileSync(join(directory, partial));
    await writer.abort();
    // A virtual 17 GiB file: the real header bytes, zeros after them.
    const file = parseGguf({
      size: 17 * 2 ** 30,
      read: (offset, length) => {
        const out = new Uint8Array(length);
        if (offset < written.length)
          out.set(written.subarray(offset, Math.min(written.length, offset + length)));
        return out;
      },
      close() {},
    });
    expect(file.tensors.map((tensor) => [tensor.name, tensor.offset])).toEqual([
      ['small', 0],
      ['huge', 128],
      ['after', 128 + 16 * 2 ** 30],
    ]);
  });
});
