import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

// Two entries: the main one runs in browsers too (no Node built-ins); ./node adds files, shards and hardware.
export default defineConfig(packageBuild('neutral', { entry: ['src/index.ts', 'src/node.ts'] }));
