#ifndef LM_STACK_POOL_H
#define LM_STACK_POOL_H
#include <stddef.h>

/**
 * out[batch] (m × n) = op(a[batch]) · op(b[batch]) for batch < batches, row-major float32; a is m × k
 * (k × m when transposeA), b is k × n (n × k when transposeB). a advances strideA floats a batch and b strideB
 * (0 broadcasts one matrix). Large products run on the pool's threads. Needs AVX2 and FMA. Returns 0, or -1
 * when a packing buffer cannot be allocated.
 */
int lmStackGemm(const float *a, const float *b, float *out, int batches, int m, int n, int k, int transposeA,
                int transposeB, size_t strideA, size_t strideB);

/** Uses `count` threads (the caller's included) for large products from now on; returns the count in use. */
int lmStackSetThreads(int count);

/** How many products have run on several threads. */
long lmStackParallelJobs(void);

#endif
