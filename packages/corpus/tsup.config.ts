import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

// shims: the CJS build needs import.meta.url to find worker/encode-worker.mjs.
export default defineConfig(packageBuild('node', { shims: true }));
