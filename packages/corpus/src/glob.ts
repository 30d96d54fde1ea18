import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Whether a path has glob syntax: `*`, `?`, `[…]` or `{…}`. */
export function isGlob(path: string): boolean {
  return /[*?[{]/.test(path);
}

/**
 * A regular expression for a glob over `/`-separated relative paths: `**` any number of folders, `*` any
 * characters but `/`, `?` one character but `/`, `[abc]` and `[!abc]` a class, `{a,b}` alternatives.
 *
 * @example
 * ```ts
 * globToRegExp('**\/*.{txt,md}').test('notes/2024/a.md'); // true
 * ```
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const character = glob[i]!;
    if (character === '*' && glob[i + 1] === '*') {
      // "**/" matches zero or more folders; a trailing "**" matches everything below.
      if (glob[i + 2] === '/') {
        source += '(?:[^/]*/)*';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (character === '*') source += '[^/]*';
    else if (character === '?') source += '[^/]';
    else if (character === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) source += '\\[';
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = end;
      }
    } else if (character === '{') {
      braces++;
      source += '(?:';
    } else if (character === '}' && braces > 0) {
      braces--;
      source += ')';
    } else if (character === ',' && braces > 0) source += '|';
    else source += character.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * Files matching a glob, in sorted order: the folder before the first glob segment is walked and every
 * file below it whose relative path matches is returned, with that folder as `base`.
 *
 * @example
 * ```ts
 * expandGlob('data/**\/*.jsonl.gz'); // { base: 'data', files: ['data/a/x.jsonl.gz', …] }
 * ```
 */
export function expandGlob(pattern: string): { base: string; files: string[] } {
  const segments = pattern.split('/');
  const firstGlob = segments.findIndex(isGlob);
  const base = segments.slice(0, firstGlob).join('/') || (pattern.startsWith('/') ? '/' : '.');
  const matcher = globToRegExp(segments.slice(firstGlob).join('/'));
  const files: string[] = [];
  const walk = (folder: string, relative: string) => {
    const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(folder, entry.name), path);
      else if (entry.isFile() && matcher.test(path)) files.push(join(base, path));
    }
  };
  walk(base, '');
  return { base, files };
}
