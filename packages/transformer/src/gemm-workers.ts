import { Worker } from 'node:worker_threads';
import { setParallelGemm } from './fast-kernels.js';
import { nativeParallelJobs, setNativeThreads } from './native-gemm.js';
import { SHARED_KERNELS_WASM_BASE64 } from './wasm/kernels-shared.generated.js';
import type { GemmShape } from './wasm-gemm.js';
import { align, runOnCopies } from './wasm-module.js';

// The control block shared with the workers (Int32 slots).
const GENERATION = 0; // job number; workers wait on it
const NEXT = 1; // (generation << 20) + next task index, claimed by compare-and-swap
const ACTIVE = 2; // threads inside a job's task loop; the main thread waits for 0
const PARAMETERS = 3; // a, b, c, batches, m, n, k, transposeA, transposeB, strideA, strideB, tasks, rowsPerTask, scratch, scratchPerThread
// runTasks uses these slots as literals (its source runs in the workers): keep them in step.
const SLOTS = 32;
const TASK_BITS = 20; // task index bits of NEXT
const MAXIMUM_PAGES = 16_384; // 1 GiB, as the shared module declares (scripts/build-wasm.mjs)

/** A tuple of N numbers (the job's parameters, read from the control block). */
type Numbers<N extends number, T extends number[] = []> = T['length'] extends N
  ? T
  : Numbers<N, [...T, number]>;

interface SharedKernels {
  gemmRows(...args: Array<number | boolean>): void;
  scratchBytes(m: number, n: number, k: number): number;
}

/**
 * The task loop every thread runs (the main thread too): claim a task (a batch's block of rows) by
 * compare-and-swap on a counter tagged with the job's generation, so a thread that wakes late cannot take
 * a task of the next job with the parameters of the last one, and no task is lost or done twice.
 */
function runTasks(control: Int32Array, kernels: SharedKernels, thread: number, generation: number): void {
  // Slots as numbers, not names: this function's source is also the worker's (see WORKER_SOURCE).
  Atomics.add(control, 2, 1); // ACTIVE
  const [
    a,
    b,
    c,
    ,
    m,
    n,
    k,
    transposeA,
    transposeB,
    strideA,
    strideB,
    tasks,
    rowsPerTask,
    scratch,
    perThread,
  ] = control.subarray(3, 18) as unknown as Numbers<15>; // PARAMETERS
  const perBatch = Math.ceil(m / rowsPerTask);
  for (;;) {
    const claimed = Atomics.load(control, 1); // NEXT: generation << 20 | task
    if (claimed >>> 20 !== generation || (claimed & 0xfffff) >= tasks) break;
    if (Atomics.compareExchange(control, 1, claimed, claimed + 1) !== claimed) continue;
    const task = claimed & 0xfffff;
    const batch = Math.floor(task / perBatch);
    const rowStart = (task % perBatch) * rowsPerTask;
    const rowEnd = Math.min(m, rowStart + rowsPerTask);
    const at = scratch + thread * perThread;
    kernels.gemmRows(
      a,
      b,
      c,
      batch,
      m,
      n,
      k,
      transposeA === 1,
      transposeB === 1,
      strideA,
      strideB,
      rowStart,
      rowEnd,
      at,
    );
  }
  Atomics.sub(control, 2, 1);
  Atomics.notify(control, 2);
}

// The worker: the same task loop, in plain JavaScript (eval'd, so the package needs no extra file).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control: buffer, thread } = workerData;
const control = new Int32Array(buffer);
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const runTasks = ${runTasks.toString()};
let seen = Atomics.load(control, ${GENERATION});
for (;;) {
  Atomics.wait(control, ${GENERATION}, seen);
  seen = Atomics.load(control, ${GENERATION});
  if (seen < 0) break;
  runTasks(control, kernels, thread, seen);
}
`;

/** A pool of worker threads sharing one WebAssembly memory with the main thread, for large GEMMs. */
class GemmPool {
  private readonly control = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private readonly memory = new WebAssembly.Memory({ initial: 1, maximum: MAXIMUM_PAGES, shared: true });
  private readonly kernels: SharedKernels;
  private readonly workers: Worker[] = [];
  private generation = 0;

  constructor(readonly threads: number) {
    const module = new WebAssembly.Module(
      Uint8Array.from(atob(SHARED_KERNELS_WASM_BASE64), (char) => char.charCodeAt(0)),
    );
    this.kernels = new WebAssembly.Instance(module, { env: { memory: this.memory } })
      .exports as unknown as SharedKernels;
    for (let thread = 1; thread < threads; thread++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory: this.memory, control: this.control.buffer, thread },
      });
      worker.unref(); // an idle pool never keeps the process alive
      this.workers.push(worker);
    }
  }

  /** out = op(a)·op(b) batched, split into tasks of 64 rows (or one batch) shared by all threads. */
  run(a: Float32Array, b: Float32Array, out: Float32Array, shape: GemmShape): void {
    const { m, n, k } = shape;
    const perThread = align(this.kernels.scratchBytes(m, n, k));
    runOnCopies(this.memory, [a, b], [out], perThread * this.threads, ([aAt, bAt], [outAt], scratch) =>
      this.runJob(shape, aAt!, bAt!, outAt!, scratch, perThread),
    );
  }

  /** One job: parameters into the control block, the workers woken, tasks shared until none is left. */
  private runJob(
    shape: GemmShape,
    aAt: number,
    bAt: number,
    outAt: number,
    scratch: number,
    perThread: number,
  ) {
    const { batches, m, n, k } = shape;
    // 64-row tasks (a multiple of the kernel's 4-row tile), at least two per thread when rows allow
    const rowsPerTask = m <= 4 ? m : Math.max(4, Math.min(64, Math.ceil(m / (2 * this.threads) / 4) * 4));
    const tasks = batches * Math.ceil(m / rowsPerTask);
    const parameters = [
      aAt,
      bAt,
      outAt,
      batches,
      m,
      n,
      k,
      shape.transposeA ? 1 : 0,
      shape.transposeB ? 1 : 0,
      shape.batchedA ? m * k : 0,
      shape.batchedB ? k * n : 0,
      tasks,
      rowsPerTask,
      scratch,
      perThread,
    ];
    for (const [i, value] of parameters.entries()) Atomics.store(this.control, PARAMETERS + i, value);
    this.generation = (this.generation % 0x7ff) + 1; // 1 … 2047: fits above the 20 task bits of a positive Int32
    Atomics.store(this.control, NEXT, this.generation << TASK_BITS);
    Atomics.store(this.control, GENERATION, this.generation);
    Atomics.notify(this.control, GENERATION);
    runTasks(this.control, this.kernels, 0, this.generation);
    jobs++;
    // Wait only for tasks in flight: a worker that has not woken yet finds none left and takes nothing.
    for (
      let active = Atomics.load(this.control, ACTIVE);
      active > 0;
      active = Atomics.load(this.control, ACTIVE)
    )
      Atomics.wait(this.control, ACTIVE, active, 50);
  }

  dispose(): void {
    Atomics.store(this.control, GENERATION, -1);
    Atomics.notify(this.control, GENERATION);
    for (const worker of this.workers) void worker.terminate();
  }
}

let pool: GemmPool | null = null;
let jobs = 0;

/**
 * How many products have run on the worker threads so far (diagnostics: shows whether products are large
 * enough to be shared).
 *
 * @example
 * ```ts
 * const before = workerThreadJobs(); trainer.trainStep(); console.log(workerThreadJobs() - before);
 * ```
 */
export function workerThreadJobs(): number {
  return jobs + nativeParallelJobs();
}

/**
 * Runs large matrix products (from about 8 MFLOP) on `threads` threads, each claiming tasks as it is free,
 * so a core the host has taken only means fewer tasks for it. With the native GEMM (`nativeGemmStatus()`):
 * POSIX threads in the addon, working in place. Without it: the main thread and threads − 1 worker threads
 * on one shared WebAssembly memory, operands copied in and out (the tfjs heap is not shared). Products are
 * bit-identical to one thread's either way. Off by default; `useWorkerThreads(1)` turns it off again. Node
 * only.
 *
 * @example
 * ```ts
 * await selectBackend('wasm');
 * useWorkerThreads(2); // training's matmuls on both cores
 * ```
 */
export function useWorkerThreads(threads = 2): number {
  setNativeThreads(Math.max(1, threads));
  pool?.dispose();
  pool = null;
  setParallelGemm(null);
  if (threads < 2) return 1;
  try {
    pool = new GemmPool(threads);
  } catch {
    return 1; // no SharedArrayBuffer or WebAssembly threads here
  }
  const active = pool;
  setParallelGemm((a, b, out, shape) => active.run(a, b, out, shape));
  return threads;
}
