import type { Options } from 'tsup';

/**
 * The build every package shares: ESM + CJS + .d.ts with source maps for Node 20. `platform: 'neutral'`
 * for packages that must also bundle for browsers (no Node built-ins in their main entry).
 */
export function packageBuild(platform: 'node' | 'neutral', extra: Partial<Options> = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform,
    ...extra,
  };
}
