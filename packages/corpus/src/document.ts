/**
 * One document flowing through the pipeline. `group` is the unit that must never be split across
 * train/validation/test (an author, a book, a website).
 *
 * @example
 * ```ts
 * const document: CorpusDocument = { id: 'moby-1', source: 'moby-dick', group: 'moby-dick', text: 'Call me Ishmael.' };
 * ```
 */
export interface CorpusDocument {
  readonly id: string;
  readonly source: string;
  readonly group: string;
  readonly text: string;
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** A stream of documents: every stage takes and returns one, so stages compose. */
export type DocumentStream = AsyncIterable<CorpusDocument> | Iterable<CorpusDocument>;
