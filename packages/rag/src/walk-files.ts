import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { DOCUMENT_FORMATS } from './load-document.js';

/** A file to ingest, and the folder it was found under (for cleanup of deleted files). */
export interface FoundFile {
  readonly path: string;
  readonly root: string | undefined;
}

/**
 * The files named, and every supported file under the folders named (recursively, hidden entries skipped),
 * as absolute paths in sorted order. A file named directly is taken whatever its extension (so an
 * unsupported one is reported, not silently skipped).
 */
export async function walkFiles(inputs: readonly string[]): Promise<{ files: FoundFile[]; roots: string[] }> {
  const files: FoundFile[] = [];
  const roots: string[] = [];
  const visit = async (directory: string, root: string) => {
    const entries = await readdir(directory, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(directory, entry.name);
      if (entry.isDirectory()) await visit(path, root);
      else if (entry.isFile() && DOCUMENT_FORMATS.has(extname(entry.name).toLowerCase()))
        files.push({ path, root });
    }
  };
  for (const input of inputs) {
    const path = resolve(input);
    if ((await stat(path)).isDirectory()) {
      roots.push(path);
      await visit(path, path);
    } else files.push({ path, root: undefined });
  }
  return { files, roots };
}
