/** A parsed JSON value; objects are `Map`s so keys from a file never touch an object prototype. */
export type JsonValue = null | boolean | number | string | JsonValue[] | Map<string, JsonValue>;

/** Where and why a strict parse failed (an index into the text). */
export class StrictJsonError extends Error {
  constructor(
    readonly index: number,
    readonly duplicateKey: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const MAX_DEPTH = 64;

/**
 * Parses JSON like `JSON.parse`, but objects become Maps and a repeated key is an error instead of
 * silently keeping the last value (which would let two readers of one file see different tensors).
 */
export function parseStrictJson(text: string): JsonValue {
  let at = 0;
  const fail = (message: string, duplicateKey?: string): never => {
    throw new StrictJsonError(at, duplicateKey, message);
  };
  const skipSpace = () => {
    while (
      at < text.length &&
      (text[at] === ' ' || text[at] === '\t' || text[at] === '\n' || text[at] === '\r')
    )
      at++;
  };
  const string = (): string => {
    const start = at;
    at++; // opening quote
    while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    if (at >= text.length) fail('unterminated string');
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  const value = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    skipSpace();
    const char = text[at];
    if (char === '{') {
      at++;
      const object = new Map<string, JsonValue>();
      skipSpace();
      if (text[at] === '}') {
        at++;
        return object;
      }
      for (;;) {
        skipSpace();
        if (text[at] !== '"') fail('expected a string key');
        const keyAt = at;
        const key = string();
        if (object.has(key)) {
          at = keyAt;
          fail(`duplicate key ${JSON.stringify(key)}`, key);
        }
        skipSpace();
        if (text[at++] !== ':') fail('expected ":"');
        object.set(key, value(depth + 1));
        skipSpace();
        if (text[at] === ',') {
          at++;
          continue;
        }
        if (text[at++] !== '}') fail('expected "," or "}"');
        return object;
      }
    }
    if (char === '[') {
      at++;
      const array: JsonValue[] = [];
      skipSpace();
      if (text[at] === ']') {
        at++;
        return array;
      }
      for (;;) {
        array.push(value(depth + 1));
        skipSpace();
        if (text[at] === ',') {
          at++;
          continue;
        }
        if (text[at++] !== ']') fail('expected "," or "]"');
        return array;
      }
    }
    if (char === '"') return string();
    const literal = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(
      text.slice(at, at + 400),
    );
    if (literal === null) fail(`unexpected ${char === undefined ? 'end of text' : JSON.stringify(char)}`);
    at += literal![0].length;
    return JSON.parse(literal![0]) as JsonValue;
  };
  let result: JsonValue;
  try {
    result = value(0);
  } catch (error) {
    if (error instanceof StrictJsonError) throw error;
    throw new StrictJsonError(at, undefined, (error as Error).message);
  }
  skipSpace();
  if (at !== text.length) fail('trailing characters after the JSON value');
  return result;
}
