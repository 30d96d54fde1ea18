/**
 * Quantize and dequantize throughput (MB/s of float32 data) of ours against ggml's reference code
 * (`ggml_quantize_chunk`, `dequantize_row_*` in node-llama-cpp's libggml-base.so, via koffi), single thread,
 * same process, same 16 MB tensor. Run: pnpm --filter @lm-stack/quantize bench
 */
import { loadGgmlOracle, type OracleTypeName } from '../../../scripts/ggml-oracle.js';
import { dequantizeGgml, type GgmlTypeName, quantizeGgml } from '../src/index.js';

const ggml = loadGgmlOracle();
if (!ggml) throw new Error('node-llama-cpp with its linux-x64 binaries is needed for this benchmark');

const ROW = 4096;
const ROWS = 1024;
const data = Float32Array.from(
  { length: ROW * ROWS },
  (_, i) => Math.sin(i * 0.37) * (1 + (i % 97 === 0 ? 8 : 0)),
);
const megabytes = data.byteLength / 1e6;

/** Runs `run` for ~250 ms and returns MB/s. */
function rate(run: () => unknown): number {
  let runs = 0;
  const start = performance.now();
  while (performance.now() - start < 250 || runs < 2) {
    run();
    runs++;
  }
  return (megabytes * runs) / ((performance.now() - start) / 1000);
}

/**
 * Ours and the reference alternate for five rounds and each keeps its best round, so a burst of load on
 * the shared second vCPU cannot favour either side.
 */
function compare(ours: () => unknown, reference: () => unknown): { ours: number; reference: number } {
  ours();
  reference(); // warm-up
  let best = { ours: 0, reference: 0 };
  for (let round = 0; round < 5; round++) {
    best = { ours: Math.max(best.ours, rate(ours)), reference: Math.max(best.reference, rate(reference)) };
  }
  return best;
}

const rows: Array<Record<string, string>> = [];
const ratios: string[] = [];
for (const type of ['Q8_0', 'Q4_0', 'Q4_K', 'Q6_K'] as GgmlTypeName[]) {
  const bytes = quantizeGgml(type, data);
  const quantize = compare(
    () => quantizeGgml(type, data),
    () => ggml.quantize(type as OracleTypeName, data, ROW),
  );
  const dequantize = compare(
    () => dequantizeGgml(type, bytes, data.length),
    () => ggml.dequantize(type as OracleTypeName, bytes, data.length),
  );
  const [quantizeOurs, quantizeGgmlRate, dequantizeOurs, dequantizeGgmlRate] = [
    quantize.ours,
    quantize.reference,
    dequantize.ours,
    dequantize.reference,
  ];
  rows.push({
    type,
    'quantize ours MB/s': quantizeOurs.toFixed(0),
    'quantize ggml MB/s': quantizeGgmlRate.toFixed(0),
    'dequantize ours MB/s': dequantizeOurs.toFixed(0),
    'dequantize ggml MB/s': dequantizeGgmlRate.toFixed(0),
  });
  ratios.push(`ratio quantize-${type} ${(quantizeOurs / quantizeGgmlRate).toFixed(2)}`);
  ratios.push(`ratio dequantize-${type} ${(dequantizeOurs / dequantizeGgmlRate).toFixed(2)}`);
}
console.table(rows);
for (const line of ratios) console.log(line);
