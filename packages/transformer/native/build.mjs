// Compiles the AVX2 GEMM addon (addon.c, gemm.c, pool.c) into build/lm-stack-kernels.node with the system C
// compiler and Node's own Node-API headers. Runs at install and in `pnpm build`; where it cannot build
// (no compiler, not x86-64, no headers) it says why and exits 0: lm-stack then uses its WebAssembly kernels.
// Run: node native/build.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const output = join(here, 'build', 'lm-stack-kernels.node');

function skip(reason) {
  console.log(
    `@lm-stack/transformer: native GEMM not built (${reason}); the WebAssembly kernels will be used`,
  );
  process.exit(0);
}

if (process.env.LM_STACK_NATIVE === '0') skip('LM_STACK_NATIVE=0');
if (process.arch !== 'x64') skip(`${process.arch} is not x86-64`);
if (process.platform === 'win32') skip('Windows builds need node-gyp');
// Official Node.js builds ship the headers in <prefix>/include/node.
const headers = join(dirname(dirname(process.execPath)), 'include', 'node');
if (!existsSync(join(headers, 'node_api.h'))) skip(`no Node-API headers in ${headers}`);
const compiler = process.env.CC ?? 'cc';
mkdirSync(dirname(output), { recursive: true });
const partial = `${output}.${process.pid}.partial`;
const flags = ['-O3', '-std=c11', '-pthread', '-fPIC', '-shared', '-fvisibility=hidden', `-I${headers}`];
if (process.platform === 'darwin') flags.push('-undefined', 'dynamic_lookup');
const result = spawnSync(
  compiler,
  [
    ...flags,
    '-DNODE_GYP_MODULE_NAME=lm_stack_kernels',
    ...['addon.c', 'gemm.c', 'pool.c'].map((file) => join(here, file)),
    '-o',
    partial,
  ],
  { encoding: 'utf8' },
);
if (result.error || result.status !== 0) {
  rmSync(partial, { force: true });
  skip(result.error ? `${compiler}: ${result.error.message}` : `${compiler} failed:\n${result.stderr}`);
}
renameSync(partial, output); // never a half-written addon
console.log(`@lm-stack/transformer: native GEMM built (${output})`);
