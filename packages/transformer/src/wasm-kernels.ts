import * as tf from '@tensorflow/tfjs';

/** What the kernels below use of the wasm backend (`@tensorflow/tfjs-backend-wasm`'s BackendWasm). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * `UnsortedSegmentSum` for the wasm backend, which lacks it: the gradient of `gather` (the embedding
 * lookup) needs it. out[segment, …] = Σ x[i, …] over i with segmentIds[i] = segment.
 */
function unsortedSegmentSum({
  inputs,
  attrs,
  backend,
}: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: unknown;
}): tf.TensorInfo {
  const wasm = backend as WasmBackend;
  const x = inputs.x!;
  const segmentIds = inputs.segmentIds!;
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const rows = x.shape[0] ?? 1;
  const inner = x.shape.slice(1).reduce((product, size) => product * size, 1);
  const output = wasm.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
  const values = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  const out = wasm.typedArrayFromHeap(output);
  out.fill(0);
  for (let row = 0; row < rows; row++) {
    const segment = ids[row]!;
    if (segment < 0 || segment >= numSegments) continue; // TensorFlow drops out-of-range ids
    const from = row * inner;
    const to = segment * inner;
    for (let j = 0; j < inner; j++) out[to + j]! += values[from + j]!;
  }
  return output;
}

let registered = false;

/** Registers the kernels the wasm backend is missing for training; safe to call more than once. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm'))
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: unsortedSegmentSum as tf.KernelFunc,
    });
}
