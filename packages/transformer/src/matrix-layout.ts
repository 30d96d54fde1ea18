/**
 * A row-major [rows, columns] matrix as row-major [columns, rows]: our weights are stored [in, out], GGUF
 * and PyTorch store [out, in].
 */
export function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c]!;
  return out;
}

/** Rows reordered: row r of the result is row `order[r]` of `values` (rows of `rowLength` values). */
export function gatherRows(values: Float32Array, order: Int32Array, rowLength: number): Float32Array {
  const out = new Float32Array(values.length);
  order.forEach((source, r) => {
    out.set(values.subarray(source * rowLength, (source + 1) * rowLength), r * rowLength);
  });
  return out;
}

/** The order that undoes `order`: gatherRows(gatherRows(v, order), inverseOrder(order)) = v. */
export function inverseOrder(order: Int32Array): Int32Array {
  const inverse = new Int32Array(order.length);
  order.forEach((source, r) => {
    inverse[source] = r;
  });
  return inverse;
}
