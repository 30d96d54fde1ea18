import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every module specifier reachable from a source file through relative imports. */
function externalImports(file: string, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(file)) return out;
  seen.add(file);
  const source = readFileSync(join(import.meta.dirname, file), 'utf8');
  for (const match of source.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'|import\s+'([^']+)'/g)) {
    const specifier = match[1] ?? match[2];
    if (!specifier) continue;
    if (specifier.startsWith('./'))
      for (const inner of externalImports(specifier.replace(/\.js$/, '.ts'), seen)) out.add(inner);
    else out.add(specifier);
  }
  return out;
}

describe('entry points', () => {
  it('the main entry bundles for browsers: esbuild, platform browser, no Node built-in in the output', async () => {
    const { build } = await import('esbuild');
    const packages = join(import.meta.dirname, '..', '..');
    const result = await build({
      entryPoints: [join(import.meta.dirname, 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      // sibling packages from source, as the tests import them
      alias: { '@lm-stack/tokenizer': join(packages, 'tokenizer', 'src', 'index.ts') },
    });
    // A Node built-in imported anywhere would fail to resolve for the browser, or be left external.
    expect(result.errors).toEqual([]);
    const imports = Object.values(result.metafile!.inputs).flatMap((input) => input.imports);
    expect(imports.filter((entry) => entry.external)).toEqual([]);
    const sources = Object.keys(result.metafile!.inputs);
    expect(sources.some((source) => source.endsWith('fast-kernels.ts'))).toBe(true); // the kernels are in it
    expect(sources.filter((source) => /node\.ts$|gemm-workers|hardware|atomic-file/.test(source))).toEqual(
      [],
    );
    expect(result.outputFiles[0]!.text).not.toMatch(/^import .* from ["']node:/m);
  }, 60_000);

  it('the main entry imports nothing Node-only, so it bundles for browsers', () => {
    const imports = [...externalImports('index.ts')].sort();
    expect(imports).toEqual([
      '@lm-stack/tokenizer',
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-backend-wasm',
      'zod',
    ]);
  });
  it('the ./node entry adds files, shards, GGUF export and the hardware report', () => {
    const imports = [...externalImports('node.ts')].sort();
    expect(imports).toEqual([
      '@lm-stack/corpus',
      '@lm-stack/gguf',
      '@lm-stack/quantize',
      '@lm-stack/safetensors',
      '@lm-stack/tokenizer',
      '@tensorflow/tfjs',
      '@tensorflow/tfjs-backend-wasm',
      'node:fs',
      'node:os',
      'node:path',
      'node:worker_threads',
      'zod',
    ]);
  });
});
