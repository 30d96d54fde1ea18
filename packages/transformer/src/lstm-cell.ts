import * as tf from '@tensorflow/tfjs';
import { fusedKernels, runFloatKernelOutputs } from './kernel-io.js';
import { hasWasmKernels, runWasmKernel } from './wasm-module.js';

// One kernel for an LSTM cell's pointwise part and one for each input's gradient, in place of about a dozen
// tfjs ops forward and two dozen backward per time step (dispatch, not arithmetic, was the cost).
const CELL = 'LmStackLstmCell';
const CELL_GRAD = 'LmStackLstmCellGrad'; // the gradients of the gates and of c, in one pass

/**
 * gates [batch, 4·hidden] = (i, f, g, o) pre-activations, c [batch, hidden]: c' = σ(f)·c + σ(i)·tanh(g),
 * h = σ(o)·tanh(c'), and the activations [batch, 5·hidden] the gradient reuses (assembly/lstm-cell.ts).
 */
function cellKernel({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { gates, c } = inputs as { gates: tf.TensorInfo; c: tf.TensorInfo };
  const [batch, hidden] = c.shape as [number, number];
  return runWasmKernel(
    backend,
    [gates, c],
    [c.shape, c.shape, [batch, 5 * hidden]],
    0,
    (kernels, [g, state], [h, next, act]) =>
      kernels.lstmCellForward(g!, state!, h!, next!, act!, batch, hidden),
  );
}

/**
 * Gradients of the cell from dh and dc' (upstream), with c and the saved activations i, f, g, o (after
 * σ/tanh) and t = tanh(c'): dc'_total = dc' + dh·o·(1 − t²); d(pre-activations) = dc'_total·g·i(1 − i),
 * dc'_total·c·f(1 − f), dc'_total·i·(1 − g²), dh·t·o(1 − o); dc = dc'_total·f.
 */
function gradKernel({ inputs, backend }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { dh, dNext, c, act } = inputs as Record<string, tf.TensorInfo>;
  const [batch, hidden] = c!.shape as [number, number];
  return runFloatKernelOutputs(
    backend,
    [dh!, dNext!, c!, act!],
    [[batch, 4 * hidden], c!.shape],
    ([dH, dN, state, saved], [dGates, dState]) => {
      for (let b = 0; b < batch; b++)
        for (let j = 0; j < hidden; j++) {
          const at = b * hidden + j;
          const from = b * 5 * hidden + j;
          const i = saved![from]!;
          const f = saved![from + hidden]!;
          const g = saved![from + 2 * hidden]!;
          const o = saved![from + 3 * hidden]!;
          const t = saved![from + 4 * hidden]!;
          const dTotal = dN![at]! + dH![at]! * o * (1 - t * t);
          dState![at] = dTotal * f;
          const row = b * 4 * hidden + j;
          dGates![row] = dTotal * g * i * (1 - i);
          dGates![row + hidden] = dTotal * state![at]! * f * (1 - f);
          dGates![row + 2 * hidden] = dTotal * i * (1 - g * g);
          dGates![row + 3 * hidden] = dH![at]! * t * o * (1 - o);
        }
    },
  );
}

/** The fused LSTM cell kernels and gradient (the forward one is WebAssembly). */
export const lstmCellKernels = fusedKernels(
  [
    [CELL, cellKernel as unknown as tf.KernelFunc],
    [CELL_GRAD, gradKernel as unknown as tf.KernelFunc],
  ],
  [
    {
      kernelName: CELL,
      inputsToSave: ['c'],
      outputsToSave: [false, false, true],
      gradFunc: (dys, saved) => {
        const [dh, dNext] = dys as tf.Tensor[];
        const [c, act] = saved as [tf.Tensor, tf.Tensor];
        // tfjs runs each input's gradient in its own scope: each call keeps its own half of the kernel's pair
        const gradient = (which: 0 | 1) => () => {
          const pair = lstmCellGradient(dh!, dNext!, c, act);
          pair[1 - which]!.dispose();
          return pair[which];
        };
        return { gates: gradient(0), c: gradient(1) };
      },
    },
  ],
  hasWasmKernels,
);

/**
 * An LSTM cell's pointwise part: from the gate pre-activations [batch, 4·hidden] (i, f, g, o) and the cell
 * state c [batch, hidden], the new hidden state h and cell state c'. One fused kernel (and fused gradients)
 * on the wasm and cpu backends after `registerFastKernels`; tfjs ops elsewhere. Same values either way.
 *
 * @example
 * ```ts
 * const { h, c: next } = lstmCell(gates, c); // c' = σ(f)·c + σ(i)·tanh(g), h = σ(o)·tanh(c')
 * ```
 */
export function lstmCell(gates: tf.Tensor, c: tf.Tensor): { h: tf.Tensor; c: tf.Tensor } {
  if (gates.dtype === 'float32' && lstmCellKernels.serves()) {
    const [h, next] = tf.engine().runKernel(CELL, { gates, c }) as unknown as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    return { h: h!, c: next! };
  }
  const [i, f, g, o] = tf.split(gates, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const next = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
  return { h: o.sigmoid().mul(next.tanh()), c: next };
}

/**
 * The fused cell with the activations its gradient needs: [h, c', act] (act [batch, 5·hidden]). Only where
 * `lstmCellKernels.serves()`.
 */
export function lstmCellSaving(gates: tf.Tensor, c: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(CELL, { gates, c }) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/**
 * The cell's gradients in one kernel: from dh and dc' (upstream), c and the saved activations, the gradient
 * of the gate pre-activations [batch, 4·hidden] and of c. Only where `lstmCellKernels.serves()`.
 */
export function lstmCellGradient(
  dh: tf.Tensor,
  dNext: tf.Tensor,
  c: tf.Tensor,
  act: tf.Tensor,
): [tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(CELL_GRAD, { dh, dNext, c, act }) as unknown as [tf.Tensor, tf.Tensor];
}
