import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';
import { nativeGemmStatus, selectBackend } from '@lm-stack/transformer';
import { hardwareReport } from '@lm-stack/transformer/node';

/** What the hardware panel shows. */
export interface HardwarePanel {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly backend: string;
  readonly nativeGemm: string;
  /** The GPU backends tfjs could use here (Node: tfjs-node-gpu, CUDA). */
  readonly gpuBackends: string[];
  readonly warnings: string[];
}

const require = createRequire(import.meta.url);

/** Whether a package can be loaded from here (without loading it). */
function installed(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** 8 GiB: below it, training and a served model compete for memory. */
const LOW_MEMORY_GIB = 8;

/** CPU, cores, RAM, the tfjs backend training would use, the native GEMM, and the warnings that apply. */
export async function hardwarePanel(forceCpu: boolean): Promise<HardwarePanel> {
  await selectBackend(forceCpu ? 'cpu' : undefined);
  const report = hardwareReport();
  const gemm = nativeGemmStatus();
  const memoryGiB = totalmem() / 2 ** 30;
  const warnings = [
    ...(memoryGiB < LOW_MEMORY_GIB
      ? [`only ${memoryGiB.toFixed(1)} GiB of RAM: keep models small and close other programs while training`]
      : []),
    ...(report.warning ? [report.warning] : []),
  ];
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: report.cores,
    memoryGiB,
    backend: report.backend,
    nativeGemm: gemm.active ? 'on' : `off (${gemm.reason})`,
    gpuBackends: installed('@tensorflow/tfjs-node-gpu') ? ['tensorflow (tfjs-node-gpu, CUDA)'] : [],
    warnings,
  };
}
