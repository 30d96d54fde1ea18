import type { CorpusDocument, DocumentStream } from './document.js';
import {
  c4Lines,
  type Exclusion,
  GOPHER_QUALITY,
  type GopherQualityLimits,
  gopherQuality,
  gopherRepetition,
  guessLanguage,
} from './quality-rules.js';

/** Which rules run; every rule is on by default with the published thresholds. */
export interface FilterConfig {
  readonly minCharacters?: number;
  readonly maxCharacters?: number;
  readonly gopherQuality?: false | Partial<GopherQualityLimits>;
  readonly gopherRepetition?: boolean;
  /** C4 line filtering (it also rewrites the text to the kept lines). Default true. */
  readonly c4?: boolean;
  /** Languages to keep (`'en'`, `'de'`); default `['en']`; `false` turns the check off. */
  readonly languages?: false | readonly string[];
}

/** One line of the exclusion log. */
export interface ExcludedDocument extends Exclusion {
  readonly id: string;
  readonly source: string;
}

/**
 * Applies the rules in order (length, C4 lines, Gopher quality, Gopher repetition, language) and yields
 * the documents that pass; every excluded document is reported with its rule and measured value.
 *
 * @example
 * ```ts
 * const excluded: ExcludedDocument[] = [];
 * for await (const document of filterDocuments(stream, {}, (entry) => excluded.push(entry))) kept.push(document);
 * ```
 */
export async function* filterDocuments(
  documents: DocumentStream,
  config: FilterConfig = {},
  onExclude: (excluded: ExcludedDocument) => void = () => undefined,
): AsyncGenerator<CorpusDocument> {
  const quality = config.gopherQuality === false ? undefined : { ...GOPHER_QUALITY, ...config.gopherQuality };
  const languages = config.languages === false ? undefined : new Set(config.languages ?? ['en']);
  for await (const document of documents) {
    let text = document.text;
    let exclusion: Exclusion | undefined;
    if (text.length < (config.minCharacters ?? 1))
      exclusion = { rule: 'length.min', value: text.length, limit: config.minCharacters ?? 1 };
    else if (config.maxCharacters !== undefined && text.length > config.maxCharacters)
      exclusion = { rule: 'length.max', value: text.length, limit: config.maxCharacters };
    if (!exclusion && config.c4 !== false) {
      const result = c4Lines(text);
      if ('exclusion' in result) exclusion = result.exclusion;
      else text = result.text;
    }
    if (!exclusion && quality) exclusion = gopherQuality(text, quality);
    if (!exclusion && config.gopherRepetition !== false) exclusion = gopherRepetition(text);
    if (!exclusion && languages) {
      const { language, share } = guessLanguage(text);
      if (!languages.has(language)) exclusion = { rule: `language.${language}`, value: share, limit: 0.1 };
    }
    if (exclusion) onExclude({ id: document.id, source: document.source, ...exclusion });
    else yield text === document.text ? document : { ...document, text };
  }
}
