import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

// ESM only: node-llama-cpp is an ES module with top-level await, which require() cannot load.
export default defineConfig(
  packageBuild('node', { entry: ['src/index.ts', 'src/cli.ts', 'src/mcp-cli.ts'], format: ['esm'] }),
);
