#!/usr/bin/env node
/**
 * Runs the tests whose results depend on the CPU's features once more on other ggml CPU builds than the one
 * node-llama-cpp picks for this machine, and prints which machine and build each run used.
 *
 * node-llama-cpp loads `bins/<platform>/llama-addon.node` from its own folder before the prebuilt package's,
 * and ggml then loads the best-scoring `libggml-cpu-<name>.so` beside it. So a folder there that holds the
 * package's files with a single CPU build forces that build. The folder is made of hard links (no copy) and
 * is removed when the run ends, whatever happens.
 *
 *   node scripts/ggml-cpu-builds.mjs              # the CPU-dependent tests on the haswell (AVX2) and x64 builds
 *   node scripts/ggml-cpu-builds.mjs --print      # this machine, and the build ggml picks here
 *   node scripts/ggml-cpu-builds.mjs zen4 x64     # chosen builds
 */
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';

/** The tests whose outcome depends on the CPU: llama.cpp's kernels, and our native GEMM (AVX2 + FMA). */
export const CPU_DEPENDENT_TESTS = [
  // llama.cpp's logits: its ggml CPU build sets the kernels and the order of float sums.
  'packages/transformer/src/gguf-parity.test.ts',
  'packages/lora/src/llama-cpp-parity.test.ts',
  'packages/transformer/src/modelfile.test.ts',
  'examples/pipeline/src/pipeline.test.ts',
  // Our native GEMM runs where the CPU has AVX2 + FMA, the WebAssembly GEMM elsewhere (LM_STACK_NATIVE=0).
  'packages/transformer/src/native-gemm.test.ts',
  'packages/transformer/src/fast-kernels.test.ts',
  'packages/transformer/src/fast-decoder.test.ts',
  'packages/transformer/src/gemm-workers.test.ts',
];

const require = createRequire(import.meta.url);
const packageRoot = join(dirname(require.resolve('node-llama-cpp')), '..');
const fromLlama = createRequire(require.resolve('node-llama-cpp'));
const platformFolder = `${process.platform}-${process.arch}`;
const prebuilt = join(
  dirname(fromLlama.resolve(`@node-llama-cpp/${platformFolder}`)),
  '..',
  'bins',
  platformFolder,
);
const forced = join(packageRoot, 'bins', platformFolder);
const CPU_BUILD = /^libggml-cpu-([a-z0-9_]+)\.so$/;

function cpuFlags() {
  try {
    const flags = /^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
    return flags
      .split(/\s+/)
      .filter((flag) => /^(avx|fma|f16c|amx|sse4|bmi2)/.test(flag))
      .sort()
      .join(' ');
  } catch {
    return 'unknown';
  }
}

/** The build ggml picks on this machine: loads llama.cpp in a child and reads its memory map. */
function pickedBuild() {
  const child = spawnSync(process.execPath, [join(import.meta.dirname, 'ggml-cpu-probe.mjs')], {
    encoding: 'utf8',
  });
  return child.status === 0 ? child.stdout.trim() : `unknown (${child.stderr.trim().split('\n').pop()})`;
}

function printMachine() {
  console.log(`cpu: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores`);
  console.log(`cpu features: ${cpuFlags()}`);
  console.log(`ggml CPU build picked by node-llama-cpp: ${pickedBuild()}`);
}

function force(build) {
  const files = readdirSync(prebuilt);
  if (!files.includes(`libggml-cpu-${build}.so`)) {
    const builds = files.map((file) => CPU_BUILD.exec(file)?.[1]).filter(Boolean);
    throw new Error(`no ggml CPU build "${build}" in ${prebuilt} (there are: ${builds.join(', ')})`);
  }
  rmSync(forced, { recursive: true, force: true });
  mkdirSync(forced, { recursive: true });
  for (const file of files) {
    const match = CPU_BUILD.exec(file);
    if (!match || match[1] === build) linkSync(join(prebuilt, file), join(forced, file));
  }
}

function run(build) {
  force(build);
  try {
    const picked = pickedBuild();
    console.log(
      `\n== CPU-dependent tests on the ggml "${build}" build (loaded: ${picked}), WebAssembly GEMM`,
    );
    if (picked !== build)
      throw new Error(`forcing the ggml "${build}" build failed: ggml loaded "${picked}"`);
    const env = { ...process.env, LM_STACK_GGML_CPU_BUILD: build, LM_STACK_NATIVE: '0' };
    const vitest = spawnSync('pnpm', ['exec', 'vitest', 'run', ...CPU_DEPENDENT_TESTS], {
      stdio: 'inherit',
      env,
    });
    return vitest.status === 0;
  } finally {
    rmSync(forced, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
// A folder left by a killed run would force a build on every later run: start without it.
if (existsSync(forced)) rmSync(forced, { recursive: true, force: true });
printMachine();
if (!args.includes('--print')) {
  const builds = args.length ? args : ['haswell', 'x64'];
  const failed = builds.filter((build) => !run(build));
  if (failed.length) {
    console.error(`CPU-dependent tests failed on the ggml build(s): ${failed.join(', ')}`);
    process.exit(1);
  }
}
