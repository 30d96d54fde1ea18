import type { CorpusDocument, DocumentStream } from './document.js';

/** Options of {@link prepareText}. */
export interface PrepareOptions {
  /** Lines to drop wherever they appear (exact match after trimming), e.g. site navigation. */
  readonly boilerplateLines?: ReadonlySet<string>;
}

// C0 and C1 controls except tab and newline, plus U+FEFF (a BOM mid-text) and U+FFFE/U+FFFF noncharacters.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufeff\ufffe\uffff]/g;

/**
 * Normalises text the same way whatever its origin: Unicode NFC (so NFC and NFD spellings deduplicate),
 * CRLF and CR to LF, control characters removed (tab and newline kept; U+0085 NEL becomes a newline),
 * trailing spaces trimmed from lines, runs of blank lines folded to one, and the whole trimmed.
 *
 * @example
 * ```ts
 * prepareText('Cafe\u0301\r\n\r\n\r\nbar  \u0000'); // 'Café\n\nbar'
 * ```
 */
export function prepareText(text: string, options: PrepareOptions = {}): string {
  let out = text
    .normalize('NFC')
    .replace(/\r\n?|\u0085|\u2028|\u2029/g, '\n')
    .replace(CONTROL, '');
  let lines = out.split('\n').map((line) => line.replace(/[ \t\u00a0]+$/u, ''));
  if (options.boilerplateLines) lines = lines.filter((line) => !options.boilerplateLines!.has(line.trim()));
  out = lines.join('\n').replace(/\n{3,}/g, '\n\n');
  return out.trim();
}

/**
 * The prepare stage: {@link prepareText} on every document.
 *
 * @example
 * ```ts
 * for await (const document of prepare(readDocuments)) console.log(document.text);
 * ```
 */
export async function* prepare(
  documents: DocumentStream,
  options: PrepareOptions = {},
): AsyncGenerator<CorpusDocument> {
  for await (const document of documents) yield { ...document, text: prepareText(document.text, options) };
}
