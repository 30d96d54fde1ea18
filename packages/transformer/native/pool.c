// The products' thread pool: the calling thread plus up to MAX_THREADS − 1 POSIX threads that sleep on a
// condition variable between products. A product is cut into tasks (a batch's range of B's column panels:
// each task packs its own panels, so no thread waits on another's packing) and the threads claim tasks by
// compare-and-swap on a counter tagged with the product's generation: a worker that wakes late cannot take
// a task of the next product. The caller waits only for tasks in flight, so a core the host has taken
// costs nothing. Every output element is computed by one task with the same arithmetic as on one thread,
// so the products are bit-identical whatever the thread count.
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "gemm.h"
#include "pool.h"

#define MAX_THREADS 64
// Below this many floating-point operations, waking a thread costs more than it saves (a condition-variable
// wake-up is 10–50 µs; 8 MFLOP take about 180 µs at 45 GFLOP/s).
#define PARALLEL_FLOPS 8e6
#define TASKS_PER_THREAD 4 // more tasks than threads, so a slow thread holds up little

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int threads = 1;
static int started = 0;              // worker threads running
static uint32_t generation = 0;      // of the product on offer; under `lock`
static GemmJob job;                  // the product on offer; written under `lock` before `generation` moves
static _Atomic uint64_t claim = 0;   // generation << 32 | next task
static atomic_int finished = 0;      // tasks done in this generation
static atomic_int failed = 0;        // a task could not allocate its packing buffer
static _Atomic long parallelJobs = 0; // products that went to several threads

static int taskCount(const GemmJob *product) {
  return product->batches * product->chunks;
}

// Claims and runs tasks of generation `mine` until none are left.
static void runTasks(uint32_t mine, const GemmJob *product) {
  int total = taskCount(product);
  for (;;) {
    uint64_t current = atomic_load(&claim);
    if ((uint32_t)(current >> 32) != mine || (int)(uint32_t)current >= total) return;
    if (!atomic_compare_exchange_weak(&claim, &current, current + 1)) continue;
    if (lmStackGemmTask(product, (int)(uint32_t)current) != 0) atomic_store(&failed, 1);
    atomic_fetch_add(&finished, 1);
  }
}

static void *worker(void *unused) {
  (void)unused;
  uint32_t seen = 0;
  for (;;) {
    pthread_mutex_lock(&lock);
    while (generation == seen) pthread_cond_wait(&wake, &lock);
    seen = generation;
    GemmJob product = job; // a copy: the next product may be posted while this one runs
    pthread_mutex_unlock(&lock);
    runTasks(seen, &product);
  }
  return NULL;
}

int lmStackSetThreads(int count) {
  if (count < 1) count = 1;
  if (count > MAX_THREADS) count = MAX_THREADS;
  pthread_mutex_lock(&lock);
  while (started < count - 1) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, worker, NULL) != 0) break;
    pthread_detach(thread);
    started++;
  }
  threads = started + 1 < count ? started + 1 : count;
  pthread_mutex_unlock(&lock);
  return threads;
}

long lmStackParallelJobs(void) {
  return atomic_load(&parallelJobs);
}

int lmStackGemm(const float *a, const float *b, float *out, int batches, int m, int n, int k, int transposeA,
                int transposeB, size_t strideA, size_t strideB) {
  int panels = (n + LM_STACK_COLS - 1) / LM_STACK_COLS;
  GemmJob product = {a, b, out, batches, m, n, k, transposeA, transposeB, strideA, strideB, panels, 1, panels};
  int count = threads;
  double flops = 2.0 * batches * m * n * (double)k;
  if (count == 1 || flops < PARALLEL_FLOPS || panels == 0) {
    for (int batch = 0; batch < batches; batch++)
      if (lmStackGemmTask(&product, batch) != 0) return -1;
    return 0;
  }
  // Enough tasks for every thread: split each batch's panels when the batches alone are too few.
  int wanted = count * TASKS_PER_THREAD;
  int chunks = batches >= wanted ? 1 : (wanted + batches - 1) / batches;
  if (chunks > panels) chunks = panels;
  product.panelsPerChunk = (panels + chunks - 1) / chunks;
  product.chunks = (panels + product.panelsPerChunk - 1) / product.panelsPerChunk;
  pthread_mutex_lock(&lock);
  uint32_t mine = ++generation;
  job = product;
  atomic_store(&finished, 0);
  atomic_store(&failed, 0);
  atomic_store(&claim, (uint64_t)mine << 32);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  runTasks(mine, &product);
  int total = taskCount(&product);
  while (atomic_load(&finished) < total) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }
  atomic_fetch_add(&parallelJobs, 1);
  return atomic_load(&failed) ? -1 : 0;
}
