import * as tf from '@tensorflow/tfjs';
import { linear } from './linear.js';
import { lstmCell, lstmCellGradient, lstmCellKernels, lstmCellSaving } from './lstm-cell.js';

/** An LSTM layer's outputs over a sequence and its final state. */
export interface LstmSequenceResult {
  /** h of every step: [seq, batch, hidden]. */
  readonly outputs: tf.Tensor3D;
  /** The last step's h: [batch, hidden]. */
  readonly h: tf.Tensor2D;
  /** The last step's c: [batch, hidden]. */
  readonly c: tf.Tensor2D;
}

/** The plain loop: tfjs differentiates every step (and adds up the hidden weight's gradient step by step). */
function lstmLoop(inputGates: tf.Tensor3D, hiddenWeight: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D) {
  let h: tf.Tensor = h0;
  let c: tf.Tensor = c0;
  const outputs: tf.Tensor[] = [];
  for (const step of tf.unstack(inputGates, 0)) {
    ({ h, c } = lstmCell(step.add(linear(h, hiddenWeight)), c));
    outputs.push(h);
  }
  return { outputs: tf.stack(outputs, 0) as tf.Tensor3D, h: h as tf.Tensor2D, c: c as tf.Tensor2D };
}

/**
 * The layer as one differentiable op. Forward: the same steps as the loop, saving every step's c and
 * activations. Backward, from the last step to the first: the fused cell gradient, then dh of the step
 * before = dGates · Whᵀ; the hidden weight's gradient is then one product over all steps,
 * dWh = [h₀ … h_{T−1}]ᵀ · [dGates₁ … dGates_T] ([hidden, seq·batch] · [seq·batch, 4·hidden]), instead of a
 * depth-`batch` product and a 4·hidden² add per step (a third of an LSTM training step).
 * The value is [seq + 1, batch, hidden]: every step's h, then the final c (so its gradient flows too).
 */
const lstmFused = tf.customGrad(((
  inputGates: tf.Tensor3D,
  hiddenWeight: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  save: tf.GradSaveFunc,
) => {
  const [seq, batch] = inputGates.shape;
  const hidden = h0.shape[1];
  let h: tf.Tensor = h0;
  let c: tf.Tensor = c0;
  const hs: tf.Tensor[] = [];
  const cs: tf.Tensor[] = [];
  const acts: tf.Tensor[] = [];
  for (const step of tf.unstack(inputGates, 0)) {
    const [nextH, nextC, act] = lstmCellSaving(step.add(tf.matMul(h, hiddenWeight)), c);
    hs.push(nextH);
    cs.push(nextC);
    acts.push(act);
    h = nextH;
    c = nextC;
  }
  const states = tf.stack([...hs, c], 0) as tf.Tensor3D; // [seq + 1, batch, hidden]
  // h and c entering each step: [seq, batch, hidden]; activations [seq, batch, 5·hidden]
  const hBefore = tf.stack([h0, ...hs.slice(0, -1)], 0);
  const cBefore = tf.stack([c0, ...cs.slice(0, -1)], 0);
  save([hBefore, cBefore, tf.stack(acts, 0), hiddenWeight]);
  return {
    value: states,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [hIn, cIn, activations, weight] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor2D];
      const dStates = tf.unstack(dy, 0); // seq + 1 × [batch, hidden]
      const cSteps = tf.unstack(cIn, 0);
      const actSteps = tf.unstack(activations, 0);
      const weightT = weight.transpose(); // [4·hidden, hidden]: dh = dGates · Whᵀ without a transposed B
      let dh: tf.Tensor = tf.zerosLike(h0);
      let dc: tf.Tensor = dStates[seq]!; // the final c's gradient
      const dGates: tf.Tensor[] = new Array(seq);
      for (let t = seq - 1; t >= 0; t--) {
        const [dGate, dcBefore] = lstmCellGradient(dStates[t]!.add(dh), dc, cSteps[t]!, actSteps[t]!);
        dGates[t] = dGate;
        dc = dcBefore;
        dh = tf.matMul(dGate, weightT);
      }
      const dInput = tf.stack(dGates, 0) as tf.Tensor3D; // [seq, batch, 4·hidden]
      const dWeight = tf.matMul(
        hIn.reshape([seq * batch, hidden]),
        dInput.reshape([seq * batch, 4 * hidden]),
        true,
        false,
      );
      return [dInput, dWeight, dh, dc];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
  inputGates: tf.Tensor3D,
  hiddenWeight: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
) => tf.Tensor3D;

/**
 * An LSTM layer over a whole sequence: from the input part of the gates for every step, inputGates
 * [seq, batch, 4·hidden] (x·Wx + b, gate order i, f, g, o), the hidden weight [hidden, 4·hidden] and the
 * initial state, every step's h and the final h and c. Where lm-stack's fused kernels serve the backend, one
 * differentiable op whose backward pass computes the hidden weight's gradient in a single product; elsewhere
 * the step-by-step loop. Same values either way.
 *
 * @example
 * ```ts
 * const gates = x.matMul(inputWeight).add(bias).transpose([1, 0, 2]); // [seq, batch, 4·hidden]
 * const { outputs, h, c } = lstmSequence(gates, hiddenWeight, tf.zeros([batch, hidden]), tf.zeros([batch, hidden]));
 * ```
 */
export function lstmSequence(
  inputGates: tf.Tensor3D,
  hiddenWeight: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
): LstmSequenceResult {
  if (inputGates.dtype !== 'float32' || !lstmCellKernels.serves())
    return lstmLoop(inputGates, hiddenWeight, h0, c0);
  const seq = inputGates.shape[0];
  const states = lstmFused(inputGates, hiddenWeight, h0, c0);
  const [outputs, last] = tf.split(states, [seq, 1], 0) as [tf.Tensor3D, tf.Tensor3D];
  const c = last.squeeze([0]) as tf.Tensor2D;
  const h = outputs.slice([seq - 1, 0, 0], [1, -1, -1]).squeeze([0]) as tf.Tensor2D;
  return { outputs, h, c };
}
