/**
 * Which of node-llama-cpp's ggml CPU builds this process runs. ggml ships one `libggml-cpu-<name>.so` per
 * x86 feature level (x64, sse42, haswell, skylakex, icelake, zen4, sapphirerapids, …) and loads the one whose
 * `ggml_backend_score` is highest for this CPU (ggml-backend-reg.cpp, ggml_backend_load_best), so llama.cpp's
 * kernels — and the order in which they add floats — differ between machines. Tests that compare against
 * llama.cpp name the build they ran against, read from the process's own memory map.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** The CPU build of ggml that is mapped into this process: its file and short name (`'zen4'`). */
export interface GgmlCpuVariant {
  readonly path: string;
  readonly name: string;
}

const VARIANT_FILE = /(\/\S*libggml-cpu-([a-z0-9_]+)\.so)$/;

/** The loaded ggml CPU build, or undefined before llama.cpp has been loaded (or off Linux). */
export function loadedGgmlCpuVariant(): GgmlCpuVariant | undefined {
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return undefined;
  }
  const found = new Map<string, string>();
  for (const line of maps.split('\n')) {
    const match = VARIANT_FILE.exec(line.trim());
    if (match) found.set(match[1]!, match[2]!);
  }
  if (found.size > 1)
    throw new Error(`more than one ggml CPU build is loaded: ${[...found.keys()].join(', ')}`);
  const [entry] = found;
  return entry ? { path: entry[0], name: entry[1] } : undefined;
}

/** The SIMD features that decide ggml's choice of build, from /proc/cpuinfo (Linux). */
export function cpuSimdFeatures(): string[] {
  let info: string;
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return [];
  }
  const flags = /^flags\s*:\s*(.*)$/m.exec(info)?.[1]?.split(/\s+/) ?? [];
  return flags.filter((flag) => /^(avx|fma|f16c|amx|sse4|bmi2)/.test(flag)).sort();
}

/** One line for a test log: CPU model, its SIMD features and the ggml build llama.cpp runs. */
export function describeMachine(): string {
  const variant = loadedGgmlCpuVariant();
  return `CPU ${cpus()[0]?.model ?? 'unknown'}; features ${cpuSimdFeatures().join(' ') || 'unknown'}; ggml CPU build ${variant?.name ?? 'not loaded'}`;
}
