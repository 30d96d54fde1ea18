import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasFastMatMul } from './fast-kernels.js';
import { nativeGemmStatus, SeededRandom, selectBackend, useNativeGemm } from './index.js';
import { runNativeGemm, setNativeThreads } from './native-gemm.js';
import { expectProduct, randomProduct } from './testing/gemm-reference.js';

// The addon builds wherever `cc` compiles x86-64 (CI's Debian included); elsewhere these tests say why.
const expectAddon =
  process.arch === 'x64' && process.platform === 'linux' && process.env.LM_STACK_NATIVE !== '0';

beforeAll(async () => {
  await selectBackend('wasm'); // loads the addon
  useNativeGemm(true);
});

const random = new SeededRandom(11);

/** This process's environment less LM_STACK_NATIVE (CI's portability run sets it to 0). */
function withoutNativeSwitch(): NodeJS.ProcessEnv {
  const { LM_STACK_NATIVE: _switch, ...rest } = process.env;
  return rest;
}
const values = (length: number) => Float32Array.from({ length }, () => random.next() * 2 - 1);

describe('native GEMM addon', () => {
  it('is built and active on x86-64 Linux (else says why)', () => {
    const status = nativeGemmStatus();
    if (expectAddon) expect(status).toEqual({ active: true, reason: '' });
    else expect(status.reason).not.toBe('');
  });

  // Sizes around the kernel's edges: tiles of 6 × 16, rows in blocks of 96, depth in slices of 256, and the
  // one-to-three-row path that streams B.
  const size = fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 21, max: 300 }));
  const depth = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(255, 256, 257, 600));
  test.prop(
    [
      fc.integer({ min: 1, max: 3 }),
      size,
      size,
      depth,
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
      fc.boolean(),
    ],
    { numRuns: 60 },
  )('equals float64 op(A)·op(B) within float32 rounding, every transpose and broadcast', (...sizes) => {
    if (!nativeGemmStatus().active) return; // the status test above fails where it should be active
    const { a, b, shape } = randomProduct(values, sizes);
    const out = new Float32Array(shape.batches * shape.m * shape.n).fill(Number.NaN);
    runNativeGemm(a, b, out, shape);
    expectProduct(out, a, b, shape);
    // Two threads (products from 8 MFLOP are split by column panels): the same bits.
    const threaded = new Float32Array(out.length).fill(Number.NaN);
    setNativeThreads(2);
    runNativeGemm(a, b, threaded, shape);
    setNativeThreads(1);
    expect(threaded).toEqual(out);
  });

  it('refuses operands shorter than their shape, and non-Float32Array operands, before touching memory', async () => {
    const { gemm } = (await import('@lm-stack/transformer/native')) as {
      gemm: ((...args: unknown[]) => void) | null;
    };
    if (!gemm) return expect(expectAddon).toBe(false);
    const a = new Float32Array(6); // 2 × 3
    const b = new Float32Array(12); // 3 × 4
    const out = new Float32Array(8); // 2 × 4
    gemm(a, b, out, 1, 2, 4, 3, false, false, 6, 12);
    // A second batch would read a[6..12), past the end: (2 − 1) · 6 + 6 = 12 > 6.
    expect(() => gemm(a, b, out, 2, 2, 4, 3, false, false, 6, 0)).toThrow(RangeError);
    expect(() => gemm(a, b, new Float32Array(7), 1, 2, 4, 3, false, false, 6, 12)).toThrow(/shorter/);
    expect(() => gemm(a, new Float64Array(12), out, 1, 2, 4, 3, false, false, 6, 12)).toThrow(/Float32Array/);
    expect(() => gemm(a, b, out, 1, -2, 4, 3, false, false, 6, 12)).toThrow(/integers/);
    expect(() => gemm(a, b, out, 1, 2, 4, 3, false, false)).toThrow(/11 arguments/);
  });

  it('install: a compiler that fails leaves the built addon as it was, no partial file, and exits 0 with the reason', () => {
    const native = join(import.meta.dirname, '..', 'native');
    const addon = join(native, 'build', 'lm-stack-kernels.node');
    const before = existsSync(addon) ? statSync(addon).mtimeMs : undefined;
    const run = spawnSync(process.execPath, [join(native, 'build.mjs')], {
      encoding: 'utf8',
      // `false` exits 1: a compiler that fails. Without LM_STACK_NATIVE, which would skip the build.
      env: { ...withoutNativeSwitch(), CC: 'false' },
    });
    expect(run.status).toBe(0);
    if (process.arch === 'x64' && process.platform !== 'win32')
      expect(run.stdout).toMatch(/native GEMM not built \(false failed/);
    expect(existsSync(addon) ? statSync(addon).mtimeMs : undefined).toBe(before);
    const leftovers = existsSync(join(native, 'build')) ? readdirSync(join(native, 'build')) : [];
    expect(leftovers.filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('can be turned off: products then run on the WebAssembly GEMM, with the same values', () => {
    const a = tf.tensor(values(70 * 33), [70, 33]);
    const b = tf.tensor(values(33 * 45), [33, 45]);
    const product = () => tf.tidy(() => tf.matMul(a, b).dataSync() as Float32Array);
    const native = product();
    expect(useNativeGemm(false)).toBe(false);
    expect(nativeGemmStatus().reason).toMatch(/useNativeGemm\(false\)|not|lacks|LM_STACK_NATIVE=0/);
    expect(hasFastMatMul()).toBe(true);
    const webAssembly = product();
    expect(useNativeGemm(true)).toBe(expectAddon);
    let worst = 0;
    for (let i = 0; i < native.length; i++) worst = Math.max(worst, Math.abs(native[i]! - webAssembly[i]!));
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([a, b]);
  });
});
