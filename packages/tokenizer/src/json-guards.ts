import { TokenizerFormatError } from './errors.js';

/** Largest id or count accepted from a file: far above any real vocabulary (o200k has 200,019 tokens). */
export const MAX_VOCAB = 10_000_000;

/** Parses text as JSON (or passes parsed JSON through), raising `TokenizerFormatError` on malformed text. */
export function parseJson(json: string | unknown, what: string): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json);
  } catch (error) {
    throw new TokenizerFormatError(what, json.slice(0, 40), `is not valid JSON: ${(error as Error).message}`);
  }
}

/** Asserts a plain JSON object; returns it as a Map so keys from the file are never used as object keys. */
export function objectEntries(value: unknown, field: string): Map<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TokenizerFormatError(field, value, 'expected an object');
  return new Map(Object.entries(value));
}

export function expectArray(value: unknown, field: string, maxLength = MAX_VOCAB): unknown[] {
  if (!Array.isArray(value)) throw new TokenizerFormatError(field, value, 'expected an array');
  if (value.length > maxLength)
    throw new TokenizerFormatError(
      field,
      value.length,
      `has ${value.length} entries, more than the limit ${maxLength}`,
    );
  return value;
}

export function expectId(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= MAX_VOCAB)
    throw new TokenizerFormatError(field, value, `expected an integer id in [0, ${MAX_VOCAB})`);
  return value;
}

export function expectString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new TokenizerFormatError(field, value, 'expected a string');
  return value;
}
