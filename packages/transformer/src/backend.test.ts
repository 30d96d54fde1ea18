import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, LstmLm, MiniGpt, selectBackend } from './index.js';
import { trainingLosses } from './testing/training-losses.js';

const tokens = Int32Array.from({ length: 300 }, (_, i) => (i * 7 + (i >> 2)) % 29);

async function losses(backend: 'cpu' | 'wasm', kind: 'minigpt' | 'lstm'): Promise<number[]> {
  await selectBackend(backend);
  const model =
    kind === 'minigpt'
      ? new MiniGpt(
          {
            vocabSize: 29,
            contextLength: 8,
            dModel: 32,
            nLayers: 2,
            nHeads: 4,
            nKvHeads: 2,
            dFf: 64,
            tieEmbeddings: true,
          },
          3,
        )
      : new LstmLm({ vocabSize: 29, contextLength: 8, embeddingSize: 16, hiddenSize: 24, nLayers: 2 }, 3);
  return trainingLosses(model, tokens, { batchSize: 4, steps: 6 });
}

describe('backends', () => {
  it('trains to the same losses on wasm (with the kernels it lacks registered) as on cpu, within 1e-4', async () => {
    for (const kind of ['minigpt', 'lstm'] as const) {
      const reference = await losses('cpu', kind);
      const wasm = await losses('wasm', kind);
      for (const [i, loss] of wasm.entries()) expect(Math.abs(loss - reference[i]!)).toBeLessThan(1e-4);
    }
  });

  it('computes the embedding gradient (UnsortedSegmentSum) on wasm as on cpu', async () => {
    const gradient = async (backend: 'cpu' | 'wasm') => {
      await selectBackend(backend);
      const table = tf.tensor2d([...Array(12).keys()], [4, 3]);
      const ids = tf.tensor2d(
        [
          [1, 3],
          [1, 0],
        ],
        [2, 2],
        'int32',
      ); // row 1 twice, row 2 never
      const weights = tf.tensor3d(
        [...Array(12).keys()].map((i) => i - 5),
        [2, 2, 3],
      );
      return tf
        .grad((t: tf.Tensor) => tf.gather(t, ids).mul(weights).sum())(table)
        .arraySync();
    };
    // d/dtable[r] = Σ over positions holding r of the weights there: row 1 = [−5,−4,−3] + [1,2,3] = [−4,−2,0].
    expect(await gradient('wasm')).toEqual([
      [4, 5, 6],
      [-4, -2, 0],
      [0, 0, 0],
      [-2, -1, 0],
    ]);
    expect(await gradient('cpu')).toEqual(await gradient('wasm'));
  });

  it('says what to install when tfjs-node is asked for but absent', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow(BackendUnavailableError);
    await expect(selectBackend('tensorflow')).rejects.toThrow(/npm install @tensorflow\/tfjs-node/);
    await expect(selectBackend('webgl')).rejects.toThrow('backend "webgl" runs only in browsers');
  });

  it('defaults to the fastest backend present: wasm on Node without tfjs-node', async () => {
    expect(await selectBackend()).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });
});
