/** The formats {@link loadDocument} reads, by extension. */
export type DocumentFormat = 'text' | 'markdown' | 'html' | 'pdf' | 'docx' | 'jsonl';

/** A piece of a document that chunks never cross: a PDF page, a JSONL record, or the whole text. */
export interface DocumentPart {
  readonly text: string;
  /** 1-based page number (PDF). */
  readonly page?: number;
  /** 1-based line number of the record (JSONL). */
  readonly record?: number;
}

/** A loaded document: its text in parts, with what identifies it. */
export interface LoadedDocument {
  /** The path it was read from, as given. */
  readonly path: string;
  readonly format: DocumentFormat;
  /** sha256 of the file's bytes, hex: unchanged content is skipped on re-ingest. */
  readonly sha256: string;
  /** Size of the file in bytes. */
  readonly bytes: number;
  /** Title from the file (HTML `<title>`, DOCX/PDF metadata, first Markdown heading), else the file name. */
  readonly title: string;
  readonly parts: readonly DocumentPart[];
}
