// Runs publint and @arethetypeswrong/cli on every publishable package (each must be built first).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const failures = [];
for (const name of readdirSync(join(root, 'packages'))) {
  const directory = join(root, 'packages', name);
  const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  // A package without a `require` condition is ESM-only on purpose (its dependencies are): attw checks it as such.
  const esmOnly = !JSON.stringify(manifest.exports ?? {}).includes('"require"');
  for (const [tool, args] of [
    ['publint', ['--strict']],
    ['attw', ['--pack', '.', '--profile', esmOnly ? 'esm-only' : 'node16']],
  ]) {
    try {
      const output = execFileSync(join(root, 'node_modules', '.bin', tool), args, {
        cwd: directory,
        encoding: 'utf8',
      });
      console.log(`${manifest.name}: ${tool} ok`);
      if (tool === 'publint' && /warning|suggestion/i.test(output)) console.log(output);
    } catch (error) {
      failures.push(`${manifest.name}: ${tool} failed\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
}
if (failures.length > 0) {
  console.error(failures.join('\n'));
  process.exit(1);
}
