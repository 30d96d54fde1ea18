import { cpus, totalmem } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { nativeBinding } from './backend.js';

/** What the training will run on. */
export interface HardwareReport {
  readonly cores: number;
  readonly memoryBytes: number;
  readonly backend: string;
  /** A GPU backend (tfjs-node-gpu, webgl, webgpu). */
  readonly accelerated: boolean;
  /** Set when training runs on the CPU only. */
  readonly warning?: string;
}

/**
 * Cores, memory and the active tfjs backend, with a warning when training runs on the CPU only.
 *
 * @example
 * ```ts
 * await selectBackend();
 * console.log(hardwareReport()); // { cores: 2, memoryBytes: 25…, backend: 'wasm', accelerated: false, warning: '…' }
 * ```
 */
export function hardwareReport(): HardwareReport {
  const backend = tf.getBackend();
  const accelerated =
    backend === 'webgl' ||
    backend === 'webgpu' ||
    (backend === 'tensorflow' && nativeBinding() === '@tensorflow/tfjs-node-gpu');
  return {
    cores: cpus().length,
    memoryBytes: totalmem(),
    backend,
    accelerated,
    ...(accelerated
      ? {}
      : {
          warning: `training on the CPU only (backend "${backend}"): small models train in minutes, larger ones want tfjs-node-gpu or a browser GPU`,
        }),
  };
}
