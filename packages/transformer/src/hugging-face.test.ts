import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, readSafetensorsTensor } from '@lm-stack/safetensors';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRope, MiniGpt, ropeTables, SeededRandom } from './index.js';
import { exportHuggingFace, HuggingFaceImportError, importHuggingFace } from './node.js';

const root = mkdtempSync(join(tmpdir(), 'lm-stack-hf-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const config = { vocabSize: 50, contextLength: 16, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, dFf: 64 };

describe('Hugging Face LlamaForCausalLM layout', () => {
  it('round-trips weights and logits (untied and tied heads)', async () => {
    for (const tieEmbeddings of [false, true]) {
      const model = new MiniGpt({ ...config, tieEmbeddings }, 3);
      const directory = join(root, `round-trip-${tieEmbeddings}`);
      await exportHuggingFace(model, directory);
      const hf = JSON.parse(readFileSync(join(directory, 'config.json'), 'utf8'));
      expect(hf).toMatchObject({
        architectures: ['LlamaForCausalLM'],
        hidden_size: 32,
        num_key_value_heads: 2,
        tie_word_embeddings: tieEmbeddings,
      });
      const names = readSafetensors(join(directory, 'model.safetensors')).tensors.map(
        (tensor) => tensor.name,
      );
      expect(names).toContain('model.layers.1.self_attn.k_proj.weight');
      expect(names.includes('lm_head.weight')).toBe(!tieEmbeddings);
      const back = importHuggingFace(directory);
      const ids = tf.tensor2d([[1, 7, 49, 3, 3, 20]], [1, 6], 'int32');
      expect(back.logits(ids).arraySync()).toEqual(model.logits(ids).arraySync());
      model.dispose();
      back.dispose();
    }
  });

  it("q/k in the file rotate by Hugging Face's rotate-half RoPE to the same attention scores as ours", async () => {
    // One layer's q and k for two random inputs at positions m and n: scores q_m·k_n per head must agree
    // between (file weights, rotate-half RoPE computed here by hand) and (our weights, our pair RoPE).
    const model = new MiniGpt({ ...config, nKvHeads: 4 }, 5);
    const directory = join(root, 'rope');
    await exportHuggingFace(model, directory);
    const file = readSafetensors(join(directory, 'model.safetensors'));
    const matrix = (name: string) => {
      const bytes = readSafetensorsTensor(
        join(directory, 'model.safetensors'),
        file,
        file.tensors.find((t) => t.name === name)!,
      );
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)); // [out, in]
    };
    const [wq, wk] = [
      matrix('model.layers.0.self_attn.q_proj.weight'),
      matrix('model.layers.0.self_attn.k_proj.weight'),
    ];
    const headDim = 8;
    const half = headDim / 2;
    const random = new SeededRandom(9);
    const x = [random.normals(32, 1), random.normals(32, 1)];
    const project = (w: Float32Array, input: Float32Array) =>
      Float32Array.from({ length: 32 }, (_, r) => input.reduce((sum, v, c) => sum + v * w[r * 32 + c]!, 0));
    const rotateHalf = (v: Float32Array, position: number) => {
      const out = new Float32Array(v.length);
      for (let h = 0; h < 4; h++)
        for (let j = 0; j < half; j++) {
          const angle = position * 10_000 ** ((-2 * j) / headDim);
          const [a, b] = [v[h * headDim + j]!, v[h * headDim + j + half]!];
          out[h * headDim + j] = a * Math.cos(angle) - b * Math.sin(angle);
          out[h * headDim + j + half] = b * Math.cos(angle) + a * Math.sin(angle);
        }
      return out;
    };
    const [m, n] = [5, 2];
    const qHf = rotateHalf(project(wq, x[0]!), m);
    const kHf = rotateHalf(project(wk, x[1]!), n);
    const { cos, sin } = ropeTables(16, headDim, 10_000);
    const ours = (name: string, input: Float32Array, position: number) =>
      tf.tidy(() => {
        const projected = tf
          .tensor2d(input, [1, 32])
          .matMul(model.parameters.get(name)! as unknown as tf.Tensor2D);
        const at = projected.reshape([1, 1, 4, headDim]).tile([1, 16, 1, 1]) as tf.Tensor4D;
        return applyRope(at, cos, sin)
          .slice([0, position, 0, 0], [1, 1, 4, headDim])
          .reshape([32])
          .dataSync() as Float32Array;
      });
    const qOurs = ours('blk.0.attn_q', x[0]!, m);
    const kOurs = ours('blk.0.attn_k', x[1]!, n);
    for (let h = 0; h < 4; h++) {
      const dot = (q: Float32Array, k: Float32Array) =>
        q.slice(h * headDim, (h + 1) * headDim).reduce((sum, v, i) => sum + v * k[h * headDim + i]!, 0);
      expect(dot(qOurs, kOurs)).toBeCloseTo(dot(qHf, kHf), 4);
    }
    model.dispose();
  });

  it('refuses a folder that is not a llama model', () => {
    const directory = join(root, 'gpt2');
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(directory);
    writeFileSync(join(directory, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
    expect(() => importHuggingFace(directory)).toThrow(HuggingFaceImportError);
    expect(() => importHuggingFace(directory)).toThrow('model_type "gpt2" is not "llama"');
  });
});
