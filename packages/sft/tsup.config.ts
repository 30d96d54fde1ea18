import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

export default defineConfig([
  packageBuild('node', { entry: ['src/index.ts', 'src/train.ts'] }),
  // The CLI: ESM only, not a public entry.
  { ...packageBuild('node', { entry: ['src/cli.ts'], format: ['esm'], dts: false }), clean: false },
]);
