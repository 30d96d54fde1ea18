import type { DocumentPart } from './document.js';
import { CorruptDocumentError, LimitExceededError } from './errors.js';
import type { LoadLimits } from './limits.js';

/**
 * One part per JSONL record: the string at `field` of each line's object (blank lines skipped). A line that
 * is not JSON, not an object, or has no string there is an error naming the line: no partial document.
 */
export function jsonlParts(file: string, text: string, field: string, limits: LoadLimits): DocumentPart[] {
  const parts: DocumentPart[] = [];
  let line = 0;
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    line++;
    if (line > limits.maxJsonlLines)
      throw new LimitExceededError(file, 'line count', line, limits.maxJsonlLines);
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (!raw) continue;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (error) {
      throw new CorruptDocumentError(file, `line ${line} is not JSON (${(error as Error).message})`);
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record))
      throw new CorruptDocumentError(file, `line ${line} is not a JSON object`);
    const value = new Map(Object.entries(record)).get(field);
    if (typeof value !== 'string')
      throw new CorruptDocumentError(file, `line ${line} has no string field "${field}"`);
    if (value.trim()) parts.push({ text: value, record: line });
  }
  return parts;
}
