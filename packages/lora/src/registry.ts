import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { syncFolder, writeFileAtomic } from '@lm-stack/transformer/node';
import { AdapterFormatError, LoraConfigError } from './errors.js';

/** One registered adapter version. */
export interface RegistryEntry {
  /** `<family>-v<version>`, e.g. `support-v3`. */
  readonly name: string;
  readonly family: string;
  readonly version: number;
  readonly baseHash: string;
  readonly datasetHash: string;
  readonly hyperparameters: Record<string, unknown>;
  readonly metrics: Record<string, number>;
  /** ISO time of registration. */
  readonly created: string;
  /** File names inside the entry's folder (`<registry>/<name>/`). */
  readonly files: readonly string[];
}

interface RegistryFile {
  readonly format: 'lm-stack-adapter-registry';
  readonly version: 1;
  readonly adapters: RegistryEntry[];
  /** family → name of its newest version. */
  readonly latest: Record<string, string>;
}

const FAMILY = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * A folder of versioned adapters: `registry.json` lists every version of each family (`support-v1`,
 * `support-v2`, …) with the base model's hash, the dataset's hash, hyperparameters, validation metrics and
 * creation time, and a `latest` pointer per family. Each version's files are copied into its own folder;
 * the JSON is rewritten atomically after the files are in place.
 *
 * @example
 * ```ts
 * const registry = new AdapterRegistry('adapters');
 * const entry = registry.register('support', ['run/adapter.gguf', 'run/report.json'], { baseHash, datasetHash, hyperparameters, metrics });
 * entry.name; // 'support-v1'
 * registry.latest('support')?.name; // 'support-v1'
 * ```
 */
export class AdapterRegistry {
  constructor(readonly directory: string) {}

  private read(): RegistryFile {
    const path = join(this.directory, 'registry.json');
    if (!existsSync(path))
      return { format: 'lm-stack-adapter-registry', version: 1, adapters: [], latest: {} };
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as RegistryFile;
    if (
      parsed.format !== 'lm-stack-adapter-registry' ||
      parsed.version !== 1 ||
      !Array.isArray(parsed.adapters)
    )
      throw new AdapterFormatError(path, 'not an lm-stack adapter registry (format/version)');
    return parsed;
  }

  /** Every registered version, oldest first. */
  list(): RegistryEntry[] {
    return this.read().adapters;
  }

  /** The entry named `name` (`support-v3`), if registered. */
  get(name: string): RegistryEntry | undefined {
    return this.read().adapters.find((entry) => entry.name === name);
  }

  /** The newest version of `family`. */
  latest(family: string): RegistryEntry | undefined {
    const file = this.read();
    const name = new Map(Object.entries(file.latest)).get(family);
    return name === undefined ? undefined : file.adapters.find((entry) => entry.name === name);
  }

  /** Folder holding an entry's files. */
  pathOf(entry: RegistryEntry, file?: string): string {
    return file === undefined ? join(this.directory, entry.name) : join(this.directory, entry.name, file);
  }

  /** Registers the next version of `family` with copies of `files`. */
  register(
    family: string,
    files: readonly string[],
    info: Pick<RegistryEntry, 'baseHash' | 'datasetHash' | 'hyperparameters' | 'metrics'>,
  ): RegistryEntry {
    if (!FAMILY.test(family))
      throw new LoraConfigError(
        'family',
        family,
        'must be 1–64 of a-z, 0-9, _ and -, starting with a letter or digit',
      );
    mkdirSync(this.directory, { recursive: true });
    const file = this.read();
    const version =
      1 +
      Math.max(0, ...file.adapters.filter((entry) => entry.family === family).map((entry) => entry.version));
    const name = `${family}-v${version}`;
    const temporary = join(this.directory, `.partial-${name}-${process.pid}`);
    rmSync(temporary, { recursive: true, force: true });
    mkdirSync(temporary);
    for (const source of files) copyFileSync(source, join(temporary, basename(source)));
    syncFolder(temporary);
    renameSync(temporary, join(this.directory, name));
    const entry: RegistryEntry = {
      name,
      family,
      version,
      ...info,
      created: new Date().toISOString(),
      files: files.map((source) => basename(source)),
    };
    const next: RegistryFile = {
      ...file,
      adapters: [...file.adapters, entry],
      latest: { ...file.latest, [family]: name },
    };
    writeFileAtomic(join(this.directory, 'registry.json'), `${JSON.stringify(next, null, 2)}\n`);
    return entry;
  }
}
