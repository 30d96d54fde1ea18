// Batched single-precision GEMM for WebAssembly SIMD (compiled by AssemblyScript: scripts/build-wasm.mjs).
// C[b] = op(A[b]) · op(B[b]) with op = identity or transpose, for the shapes of a small transformer's
// attention and linear layers. The loop structure of Goto & van de Geijn ("Anatomy of high-performance
// matrix multiplication", 2008): B is packed into k-major panels of COLS columns (zero-padded, transposes
// absorbed), the depth is cut into DEPTH_BLOCK slices and the rows into ROW_BLOCK blocks so the B panel
// stays in L1 and the A block in L2, and a micro-kernel keeps a ROWS × COLS tile of C in eight f32x4
// registers. A is read in place: row-major A gives each row's value by a 4-byte broadcast load, transposed
// A gives four rows' values in one 16-byte load split by lane shuffles.

const ROWS: i32 = 4; // rows of C per micro-kernel tile
const COLS: i32 = 8; // columns of C per tile: two f32x4 vectors
const ROW_BLOCK: i32 = 128; // rows of A per block: 128 × 256 × 4 bytes = 128 KiB in L2
const DEPTH_BLOCK: i32 = 256; // depth per slice: a B panel of 256 × 8 × 4 bytes = 8 KiB in L1

/** Stores (or adds, after the first depth slice) a row of the tile. */
@inline function put(c: usize, low: v128, high: v128, accumulate: bool): void {
  if (accumulate) {
    low = f32x4.add(low, v128.load(c));
    high = f32x4.add(high, v128.load(c, 16));
  }
  v128.store(c, low);
  v128.store(c, high, 16);
}

/**
 * 4 × 8 tile, A row-major: c[r][j] (+)= Σ_p a[r·lda + p] · panel[p][j]. Byte strides lda and ldc.
 */
function tileRowMajor(a: usize, lda: usize, b: usize, c: usize, ldc: usize, k: i32, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const a0 = v128.load32_splat(a);
    const a1 = v128.load32_splat(a + lda);
    const a2 = v128.load32_splat(a + 2 * lda);
    const a3 = v128.load32_splat(a + 3 * lda);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    a += 4;
    b += COLS << 2;
  }
  put(c, c00, c01, accumulate);
  put(c + ldc, c10, c11, accumulate);
  put(c + 2 * ldc, c20, c21, accumulate);
  put(c + 3 * ldc, c30, c31, accumulate);
}

/**
 * 4 × 8 tile, A stored transposed (k × m): the four rows' values at depth p are the 16 bytes at a + p·lda.
 */
function tileColumnMajor(a: usize, lda: usize, b: usize, c: usize, ldc: usize, k: i32, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const column = v128.load(a);
    const a0 = i32x4.shuffle(column, column, 0, 0, 0, 0);
    const a1 = i32x4.shuffle(column, column, 1, 1, 1, 1);
    const a2 = i32x4.shuffle(column, column, 2, 2, 2, 2);
    const a3 = i32x4.shuffle(column, column, 3, 3, 3, 3);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    a += lda;
    b += COLS << 2;
  }
  put(c, c00, c01, accumulate);
  put(c + ldc, c10, c11, accumulate);
  put(c + 2 * ldc, c20, c21, accumulate);
  put(c + 3 * ldc, c30, c31, accumulate);
}

/**
 * Packs depth rows [p0, p0 + depth) of op(B) (k × n) into panels of COLS columns, k-major:
 * panel[col0 / COLS][p][j] = op(B)[p0 + p][col0 + j]; op(B)[p][j] is b[p·n + j], or b[j·k + p] when
 * transposed. Columns past n are zero.
 */
function packB(b: usize, k: i32, n: i32, transposed: bool, p0: i32, depth: i32, out: usize): void {
  for (let col0 = 0; col0 < n; col0 += COLS) {
    let p = p0;
    if (transposed && col0 + COLS <= n)
      for (; p + 4 <= p0 + depth; p += 4) {
        // Four depths of eight stored rows: two 4 × 4 transposes.
        const row = b + ((<usize>col0 * k + p) << 2);
        const stride = (<usize>k) << 2;
        transpose4(row, stride, out, COLS << 2);
        transpose4(row + 4 * stride, stride, out + 16, COLS << 2);
        out += (COLS << 2) * 4;
      }
    for (; p < p0 + depth; p++) {
      if (!transposed && col0 + COLS <= n) {
        const from = b + ((<usize>p * n + col0) << 2);
        v128.store(out, v128.load(from));
        v128.store(out, v128.load(from, 16), 16);
      } else
        for (let j = 0; j < COLS; j++) {
          const column = col0 + j;
          let value: f32 = 0;
          if (column < n)
            value = transposed
              ? load<f32>(b + ((<usize>column * k + p) << 2))
              : load<f32>(b + ((<usize>p * n + column) << 2));
          store<f32>(out + (j << 2), value);
        }
      out += COLS << 2;
    }
  }
}

/** Reads 4 × 4 floats (rows `stride` bytes apart) and writes their transpose (rows `outStride` apart). */
@inline function transpose4(from: usize, stride: usize, to: usize, outStride: usize): void {
  const r0 = v128.load(from);
  const r1 = v128.load(from + stride);
  const r2 = v128.load(from + 2 * stride);
  const r3 = v128.load(from + 3 * stride);
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(to, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(to + outStride, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(to + 2 * outStride, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(to + 3 * outStride, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
}

/**
 * One row of C for a product with fewer rows than a tile (generation: one token): c[j] = Σ_p x[p] · op(B)[p][j],
 * reading B in place (packing it would cost as much as the product). x's values are xStep bytes apart.
 */
function rowTimesB(x: usize, xStep: usize, b: usize, c: usize, n: i32, k: i32, transposeB: bool): void {
  if (!transposeB) {
    // Stream B row by row (the hardware prefetcher follows it; a weight matrix is usually not in cache
    // when generating) and accumulate into the row of C, which stays in L1: two rows of B per pass.
    const rowBytes = (<usize>n) << 2;
    memory.fill(c, 0, rowBytes);
    const vectorEnd = n & ~3;
    let p = 0;
    for (; p + 2 <= k; p += 2) {
      const x0 = v128.load32_splat(x + <usize>p * xStep);
      const x1 = v128.load32_splat(x + <usize>(p + 1) * xStep);
      const row0 = b + <usize>p * rowBytes;
      const row1 = row0 + rowBytes;
      let j = 0;
      for (; j < vectorEnd; j += 4) {
        const at = (<usize>j) << 2;
        const sum = f32x4.add(f32x4.mul(x0, v128.load(row0 + at)), f32x4.mul(x1, v128.load(row1 + at)));
        v128.store(c + at, f32x4.add(v128.load(c + at), sum));
      }
      for (; j < n; j++) {
        const at = (<usize>j) << 2;
        store<f32>(c + at, load<f32>(c + at) + (f32x4.extract_lane(x0, 0) * load<f32>(row0 + at) + f32x4.extract_lane(x1, 0) * load<f32>(row1 + at)));
      }
    }
    for (; p < k; p++) {
      const x0 = v128.load32_splat(x + <usize>p * xStep);
      const row0 = b + <usize>p * rowBytes;
      let j = 0;
      for (; j < vectorEnd; j += 4) {
        const at = (<usize>j) << 2;
        v128.store(c + at, f32x4.add(v128.load(c + at), f32x4.mul(x0, v128.load(row0 + at))));
      }
      for (; j < n; j++) {
        const at = (<usize>j) << 2;
        store<f32>(c + at, load<f32>(c + at) + f32x4.extract_lane(x0, 0) * load<f32>(row0 + at));
      }
    }
    return;
  }
  // B stored n × k: c[j] is the dot product of x with B's row j.
  for (let j = 0; j < n; j++) {
    const row = b + ((<usize>j * k) << 2);
    let p = 0;
    let total: f32 = 0;
    if (xStep == 4) {
      let sum = f32x4.splat(0);
      for (; p + 4 <= k; p += 4) sum = f32x4.add(sum, f32x4.mul(v128.load(x + ((<usize>p) << 2)), v128.load(row + ((<usize>p) << 2))));
      total = f32x4.extract_lane(sum, 0) + f32x4.extract_lane(sum, 1) + f32x4.extract_lane(sum, 2) + f32x4.extract_lane(sum, 3);
    }
    for (; p < k; p++) total += load<f32>(x + <usize>p * xStep) * load<f32>(row + ((<usize>p) << 2));
    store<f32>(c + ((<usize>j) << 2), total);
  }
}

/** Rows [i, min(i + ROWS, m)) of op(A), depths [p0, p0 + depth), into ROWS × depth row-major floats, zero-padded. */
function copyRows(a: usize, m: i32, k: i32, transposed: bool, i: i32, p0: i32, depth: i32, out: usize): void {
  for (let r = 0; r < ROWS; r++)
    for (let p = 0; p < depth; p++) {
      const row = i + r;
      let value: f32 = 0;
      if (row < m)
        value = transposed
          ? load<f32>(a + ((<usize>(p0 + p) * m + row) << 2))
          : load<f32>(a + ((<usize>row * k + p0 + p) << 2));
      store<f32>(out + ((<usize>r * depth + p) << 2), value);
    }
}

@inline function roundUp(value: i32, to: i32): i32 {
  return ((value + to - 1) / to) * to;
}

/** Bytes of scratch `gemm` needs: a packed B slice, one edge tile of C and the last rows of A. */
export function scratchBytes(m: i32, n: i32, k: i32): i32 {
  if (m < ROWS) return 64; // rowTimesB reads B in place
  return (roundUp(n, COLS) * min(k, DEPTH_BLOCK) + ROWS * COLS + ROWS * DEPTH_BLOCK) * 4 + 64;
}

/**
 * c[batch] (m × n) = op(a[batch]) · op(b[batch]) for every batch; a's and b's batch strides are in floats
 * (0 broadcasts one matrix over the batch). `scratch` is `scratchBytes` bytes of free memory for packed
 * panels. Reads nothing outside a, b and scratch, so it can run on another module's heap.
 */
export function gemm(
  a: usize,
  b: usize,
  c: usize,
  batches: i32,
  m: i32,
  n: i32,
  k: i32,
  transposeA: bool,
  transposeB: bool,
  strideA: i32,
  strideB: i32,
  scratch: usize,
): void {
  for (let batch = 0; batch < batches; batch++)
    gemmRows(a, b, c, batch, m, n, k, transposeA, transposeB, strideA, strideB, 0, m, scratch);
}

/**
 * Rows [rowStart, rowEnd) of one batch of {@link gemm}: the unit of work threads share. rowStart must be a
 * multiple of ROWS (4), and rowEnd too unless it is m, so no tile straddles two callers.
 */
export function gemmRows(
  a: usize,
  b: usize,
  c: usize,
  batch: i32,
  m: i32,
  n: i32,
  k: i32,
  transposeA: bool,
  transposeB: bool,
  strideA: i32,
  strideB: i32,
  rowStart: i32,
  rowEnd: i32,
  scratch: usize,
): void {
  const packed = (scratch + 15) & ~15;
  const edge = packed + ((<usize>roundUp(n, COLS) * min(k, DEPTH_BLOCK)) << 2);
  const edgeRows = edge + ((<usize>ROWS * COLS) << 2);
  const ldc = (<usize>n) << 2;
  // A's byte stride between rows (row-major) or between depths (transposed)
  const lda = (<usize>(transposeA ? m : k)) << 2;
  const aBatch = a + ((<usize>batch * strideA) << 2);
  const bBatch = b + ((<usize>batch * strideB) << 2);
  const cBatch = c + ((<usize>batch * m * n) << 2);
  if (k == 0) {
    memory.fill(cBatch + ((<usize>rowStart * n) << 2), 0, (<usize>(rowEnd - rowStart) * n) << 2);
    return;
  }
  if (m < ROWS) {
    for (let i = rowStart; i < rowEnd; i++)
      rowTimesB(
        aBatch + ((<usize>(transposeA ? i : i * k)) << 2),
        transposeA ? lda : 4,
        bBatch,
        cBatch + ((<usize>i * n) << 2),
        n,
        k,
        transposeB,
      );
    return;
  }
  for (let p0 = 0; p0 < k; p0 += DEPTH_BLOCK) {
    const depth = min(DEPTH_BLOCK, k - p0);
    const accumulate = p0 > 0;
    packB(bBatch, k, n, transposeB, p0, depth, packed);
    for (let row0 = rowStart; row0 < rowEnd; row0 += ROW_BLOCK) {
      const blockEnd = min(rowEnd, row0 + ROW_BLOCK);
      for (let col0 = 0; col0 < n; col0 += COLS) {
        const panel = packed + ((<usize>col0 * depth) << 2);
        for (let i = row0; i < blockEnd; i += ROWS) {
          const full = i + ROWS <= m && col0 + COLS <= n;
          const target = full ? cBatch + ((<usize>i * n + col0) << 2) : edge;
          const targetStride = full ? ldc : <usize>(COLS << 2);
          if (i + ROWS > m) {
            // The last rows, fewer than a tile: copied row-major and zero-padded (never read past A).
            copyRows(aBatch, m, k, transposeA, i, p0, depth, edgeRows);
            tileRowMajor(edgeRows, (<usize>depth) << 2, panel, target, targetStride, depth, false);
          } else if (transposeA)
            tileColumnMajor(aBatch + ((<usize>p0 * m + i) << 2), lda, panel, target, targetStride, depth, full && accumulate);
          else tileRowMajor(aBatch + ((<usize>i * k + p0) << 2), lda, panel, target, targetStride, depth, full && accumulate);
          if (!full)
            for (let r = 0; r < ROWS && i + r < m; r++)
              for (let j = 0; j < COLS && col0 + j < n; j++) {
                const to = cBatch + ((<usize>(i + r) * n + col0 + j) << 2);
                const value = load<f32>(edge + ((<usize>r * COLS + j) << 2));
                store<f32>(to, accumulate ? load<f32>(to) + value : value);
              }
        }
      }
    }
  }
}
