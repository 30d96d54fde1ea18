#ifndef LM_STACK_GEMM_H
#define LM_STACK_GEMM_H
#include <stddef.h>

#define LM_STACK_COLS 16 // columns of C per micro-kernel tile and per packed panel of B (gemm.c)

/**
 * A batched product out[batch] (m × n) = op(a[batch]) · op(b[batch]), row-major float32; a is m × k (k × m
 * when transposeA), b is k × n (n × k when transposeB); a advances strideA floats a batch and b strideB (0
 * broadcasts one matrix). Cut into batches × chunks tasks of panelsPerChunk panels of B's columns each.
 */
typedef struct {
  const float *a, *b;
  float *out;
  int batches, m, n, k, transposeA, transposeB;
  size_t strideA, strideB;
  int panels, chunks, panelsPerChunk;
} GemmJob;

/** Runs one task of the job (needs AVX2 and FMA). Returns 0, or -1 when the packing buffer cannot be allocated. */
int lmStackGemmTask(const GemmJob *job, int task);

#endif
