// Batched single-precision GEMM with AVX2 + FMA for x86-64 CPUs, the native twin of assembly/gemm.ts.
// C[b] = op(A[b]) · op(B[b]), row-major float32, op = identity or transpose. The loop structure of Goto &
// van de Geijn ("Anatomy of high-performance matrix multiplication", 2008), as in BLIS's Haswell kernel:
// B is packed into k-major panels of COLS columns (zero-padded, transposes absorbed), the depth is cut into
// DEPTH_BLOCK slices and the rows into ROW_BLOCK blocks, and a micro-kernel keeps a ROWS × COLS tile of C in
// twelve 8-lane registers, fed by one broadcast of A and two loads of B per depth step. A is read in place:
// element (r, p) of op(A) is a[r·rowStride + p·depthStride], which covers both layouts.
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"

// The kernels need AVX2 and FMA, the rest of the addon does not: addon.c checks the CPU before calling them.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#define ROWS 6          // rows of C per tile: 6 × 2 accumulators + 2 B vectors + 1 broadcast = 15 of 16 ymm
#define COLS LM_STACK_COLS // columns of C per tile: two 8-lane vectors (16, gemm.h)
#define DEPTH_BLOCK 256 // depth per slice: a B panel of 256 × 16 × 4 bytes = 16 KiB stays in L1 (32 KiB)
#define ROW_BLOCK 96    // rows of A per block: 96 × 256 × 4 bytes = 96 KiB in L2
#define FEW_ROWS 4      // products of fewer rows stream B instead of packing it (rowTimesB)
#define DIRECT_ROWS 48  // products of at most this many rows read a row-major B in place (no packing)

// Each thread packs into its own buffer, grown as needed and kept for the next product.
static _Thread_local float *scratch = NULL;
static _Thread_local size_t scratchFloats = 0;

static float *packBuffer(size_t floats) {
  if (floats > scratchFloats) {
    free(scratch);
    scratch = aligned_alloc(64, ((floats * 4 + 63) / 64) * 64);
    scratchFloats = scratch ? floats : 0;
  }
  return scratch;
}

// Packs depth rows [p0, p0 + depth) of op(B) (k × n), panels [first, last) of COLS columns: the i-th holds
// out[i][p][0..COLS) = op(B)[p0 + p][(first + i)·COLS + 0..COLS), zero past column n.
static void packB(const float *b, int transposeB, int n, int k, int p0, int depth, int first, int last,
                  float *out) {
  for (int panel = first; panel < last; panel++) {
    float *dst = out + (size_t)(panel - first) * depth * COLS;
    int j0 = panel * COLS;
    int width = n - j0 < COLS ? n - j0 : COLS;
    if (!transposeB) {
      // B stored k × n: each depth row of the panel is a contiguous run of `width` floats.
      for (int p = 0; p < depth; p++) {
        const float *src = b + (size_t)(p0 + p) * n + j0;
        if (width == COLS) {
          _mm256_storeu_ps(dst + p * COLS, _mm256_loadu_ps(src));
          _mm256_storeu_ps(dst + p * COLS + 8, _mm256_loadu_ps(src + 8));
        } else {
          for (int j = 0; j < COLS; j++) dst[p * COLS + j] = j < width ? src[j] : 0.0f;
        }
      }
    } else {
      // B stored n × k: column j of op(B) is row j of b, read along the depth.
      for (int j = 0; j < COLS; j++) {
        if (j < width) {
          const float *src = b + (size_t)(j0 + j) * k + p0;
          for (int p = 0; p < depth; p++) dst[p * COLS + j] = src[p];
        } else {
          for (int p = 0; p < depth; p++) dst[p * COLS + j] = 0.0f;
        }
      }
    }
  }
}

// Row r of the tile: two accumulators fed by one broadcast of op(A)[r][p].
#define TILE_ROW(r)                                                    \
  if (rows > r) {                                                      \
    __m256 value = _mm256_broadcast_ss(a + r * rowStride);             \
    c##r##0 = _mm256_fmadd_ps(value, b0, c##r##0);                     \
    c##r##1 = _mm256_fmadd_ps(value, b1, c##r##1);                     \
  }
#define STORE_ROW(r) \
  if (rows > r) storeRow(c + r * ldc, c##r##0, c##r##1, width, accumulate);

// Stores (or adds to) one row of the tile, `width` of its COLS columns.
static inline __attribute__((always_inline)) void storeRow(float *row, __m256 low, __m256 high, int width,
                                                           int accumulate) {
  if (width == COLS) {
    if (accumulate) {
      low = _mm256_add_ps(low, _mm256_loadu_ps(row));
      high = _mm256_add_ps(high, _mm256_loadu_ps(row + 8));
    }
    _mm256_storeu_ps(row, low);
    _mm256_storeu_ps(row + 8, high);
    return;
  }
  float lanes[COLS];
  _mm256_storeu_ps(lanes, low);
  _mm256_storeu_ps(lanes + 8, high);
  for (int j = 0; j < width; j++) row[j] = accumulate ? row[j] + lanes[j] : lanes[j];
}

// One tile: c[r][0..width) (+)= Σ_p op(A)[r][p] · panel[p][0..width) for r < rows (a constant once inlined).
static inline __attribute__((always_inline)) void tile(int rows, const float *a, size_t rowStride,
                                                       size_t depthStride, const float *panel,
                                                       size_t panelStride, float *c, size_t ldc, int width,
                                                       int depth, int accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int p = 0; p < depth; p++) {
    __m256 b0 = _mm256_loadu_ps(panel);
    __m256 b1 = _mm256_loadu_ps(panel + 8);
    TILE_ROW(0) TILE_ROW(1) TILE_ROW(2) TILE_ROW(3) TILE_ROW(4) TILE_ROW(5)
    a += depthStride;
    panel += panelStride;
  }
  STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3) STORE_ROW(4) STORE_ROW(5)
}

static void tileAnyRows(int rows, const float *a, size_t rowStride, size_t depthStride, const float *panel,
                        size_t panelStride, float *c, size_t ldc, int width, int depth, int accumulate) {
  switch (rows) {
    case 6: tile(6, a, rowStride, depthStride, panel, panelStride, c, ldc, width, depth, accumulate); break;
    case 5: tile(5, a, rowStride, depthStride, panel, panelStride, c, ldc, width, depth, accumulate); break;
    case 4: tile(4, a, rowStride, depthStride, panel, panelStride, c, ldc, width, depth, accumulate); break;
    case 3: tile(3, a, rowStride, depthStride, panel, panelStride, c, ldc, width, depth, accumulate); break;
    case 2: tile(2, a, rowStride, depthStride, panel, panelStride, c, ldc, width, depth, accumulate); break;
    default: tile(1, a, rowStride, depthStride, panel, panelStride, c, ldc, width, depth, accumulate); break;
  }
}

// Sum of the eight lanes.
static inline float sum8(__m256 v) {
  __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  half = _mm_add_ps(half, _mm_movehl_ps(half, half));
  return _mm_cvtss_f32(_mm_add_ss(half, _mm_shuffle_ps(half, half, 1)));
}

// One row of op(A) (row-major, depth stride 1) times B without packing, for products of a few rows (a decoder
// generating one token): packing B would read and write all of B to use it once.
// Columns [begin, end) of the row; begin is a multiple of COLS, so a split never moves a column between the
// vector loop and the scalar tail (products on several threads stay bit-identical to one thread).
static void rowTimesB(const float *a, const float *b, float *out, int n, int k, int transposeB, int begin,
                      int end) {
  if (transposeB) {
    // B stored n × k: out[j] = a · b[j], sixteen depths a step.
    for (int j = begin; j < end; j++) {
      const float *column = b + (size_t)j * k;
      __m256 low = _mm256_setzero_ps(), high = _mm256_setzero_ps();
      int p = 0;
      for (; p + 16 <= k; p += 16) {
        low = _mm256_fmadd_ps(_mm256_loadu_ps(a + p), _mm256_loadu_ps(column + p), low);
        high = _mm256_fmadd_ps(_mm256_loadu_ps(a + p + 8), _mm256_loadu_ps(column + p + 8), high);
      }
      float sum = sum8(_mm256_add_ps(low, high));
      for (; p < k; p++) sum += a[p] * column[p];
      out[j] = sum;
    }
    return;
  }
  // B stored k × n: read in order, row after row, into the row of out (in L1): out += a[p] · b[p] for each p,
  // two depths a pass.
  memset(out + begin, 0, (size_t)(end - begin) * 4);
  int p = 0;
  for (; p + 2 <= k; p += 2) {
    const float *first = b + (size_t)p * n, *second = first + n;
    __m256 value0 = _mm256_broadcast_ss(a + p), value1 = _mm256_broadcast_ss(a + p + 1);
    int j = begin;
    for (; j + 8 <= end; j += 8) {
      __m256 sum = _mm256_fmadd_ps(value0, _mm256_loadu_ps(first + j), _mm256_loadu_ps(out + j));
      _mm256_storeu_ps(out + j, _mm256_fmadd_ps(value1, _mm256_loadu_ps(second + j), sum));
    }
    for (; j < end; j++) out[j] += a[p] * first[j] + a[p + 1] * second[j];
  }
  for (; p < k; p++)
    for (int j = begin; j < end; j++) out[j] += a[p] * b[(size_t)p * n + j];
}

// Panels [first, last) of one product: out (m × n) = op(a) · op(b); a is m × k (k × m when transposeA), b is
// k × n (n × k when transposeB).
static int gemmPanels(const float *a, const float *b, float *out, int m, int n, int k, int transposeA,
                      int transposeB, int first, int last) {
  int begin = first * COLS, end = last * COLS < n ? last * COLS : n;
  if (k == 0) {
    for (int i = 0; i < m; i++) memset(out + (size_t)i * n + begin, 0, (size_t)(end - begin) * 4);
    return 0;
  }
  if (m < FEW_ROWS && !transposeA) {
    for (int i = 0; i < m; i++)
      rowTimesB(a + (size_t)i * k, b, out + (size_t)i * n, n, k, transposeB, begin, end);
    return 0;
  }
  // Few rows and B stored k × n: the tiles read B's full panels in place (each panel then stays in L1 for
  // the few row tiles); packing would copy all of B to use it two or three times (an LSTM step's product).
  int direct = !transposeB && m <= DIRECT_ROWS;
  int partial = n % COLS != 0 && last * COLS > n; // the last panel is narrower than COLS: always packed
  float *packed = packBuffer((size_t)(direct ? 1 : last - first) * COLS * DEPTH_BLOCK);
  if (!packed) return -1;
  size_t rowStride = transposeA ? 1 : (size_t)k;
  size_t depthStride = transposeA ? (size_t)m : 1;
  for (int p0 = 0; p0 < k; p0 += DEPTH_BLOCK) {
    int depth = k - p0 < DEPTH_BLOCK ? k - p0 : DEPTH_BLOCK;
    if (!direct) packB(b, transposeB, n, k, p0, depth, first, last, packed);
    else if (partial) packB(b, transposeB, n, k, p0, depth, last - 1, last, packed);
    for (int i0 = 0; i0 < m; i0 += ROW_BLOCK) {
      int rowsInBlock = m - i0 < ROW_BLOCK ? m - i0 : ROW_BLOCK;
      for (int panel = first; panel < last; panel++) {
        int j0 = panel * COLS;
        int width = n - j0 < COLS ? n - j0 : COLS;
        const float *panelAt = packed + (size_t)(direct ? 0 : panel - first) * depth * COLS;
        size_t panelStride = COLS;
        if (direct && width == COLS) {
          panelAt = b + (size_t)p0 * n + j0;
          panelStride = (size_t)n;
        }
        for (int i = i0; i < i0 + rowsInBlock; i += ROWS) {
          int rows = i0 + rowsInBlock - i < ROWS ? i0 + rowsInBlock - i : ROWS;
          const float *aAt = a + i * rowStride + (size_t)p0 * depthStride;
          tileAnyRows(rows, aAt, rowStride, depthStride, panelAt, panelStride, out + (size_t)i * n + j0,
                      (size_t)n, width, depth, p0 > 0);
        }
      }
    }
  }
  return 0;
}

// One task of a batched product: panels [first, last) of batch `batch`.
static int gemmTask(const GemmJob *job, int task) {
  int chunk = task % job->chunks;
  int batch = task / job->chunks;
  int first = chunk * job->panelsPerChunk;
  int last = first + job->panelsPerChunk < job->panels ? first + job->panelsPerChunk : job->panels;
  return gemmPanels(job->a + batch * job->strideA, job->b + batch * job->strideB,
                    job->out + (size_t)batch * job->m * job->n, job->m, job->n, job->k, job->transposeA,
                    job->transposeB, first, last);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

int lmStackGemmTask(const GemmJob *job, int task) {
  return gemmTask(job, task);
}
