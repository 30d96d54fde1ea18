import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

export default defineConfig([
  packageBuild('node'),
  // The CLIs: ESM only, not a public entry.
  {
    ...packageBuild('node', { entry: ['src/cli.ts', 'src/mcp-cli.ts'], format: ['esm'], dts: false }),
    clean: false,
  },
]);
