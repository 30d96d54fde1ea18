import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages', import.meta.url));

/** Tests import sibling packages from source, so `pnpm vitest` never needs a build first. */
const alias = Object.fromEntries([
  // Subpath entries first: an alias matches by prefix, and the first match wins.
  ['@lm-stack/transformer/node', `${packagesDir}/transformer/src/node.ts`],
  ['@lm-stack/transformer/native', `${packagesDir}/transformer/native/index.cjs`],
  ...readdirSync(packagesDir).map((name) => [`@lm-stack/${name}`, `${packagesDir}/${name}/src/index.ts`]),
]);

export default defineConfig({
  resolve: { alias },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'examples/*/src/**/*.test.ts',
      'notebooks/*.test.ts',
      'docs/guides/*.test.ts',
    ],
    // Slow differential tests (whole benchmark corpus) are named *.slow.test.ts; LM_STACK_SKIP_SLOW=1 skips them.
    exclude: process.env.LM_STACK_SKIP_SLOW
      ? ['**/*.slow.test.ts', '**/node_modules/**']
      : ['**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
