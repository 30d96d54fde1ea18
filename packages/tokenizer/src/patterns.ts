import { TokenizerFormatError } from './errors.js';

/**
 * Pre-tokenizer patterns by name, in the Rust-regex syntax that tiktoken and Hugging Face publish.
 * `gpt2`: GPT-2 `encoder.py` (llama.cpp calls it `gpt-2`); `cl100k` and `o200k`: tiktoken's `cl100k_base` and
 * `o200k_base` `pat_str`.
 */
export const PATTERN_SOURCES = {
  gpt2: "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
  cl100k:
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  o200k: [
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    '\\p{N}{1,3}',
    ' ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*',
    '\\s*[\\r\\n]+',
    '\\s+(?!\\S)',
    '\\s+',
  ].join('|'),
} as const;

/** A named pre-tokenizer pattern. */
export type PatternName = keyof typeof PATTERN_SOURCES;

/** A pattern: one of the named ones or a custom regex in Rust / Oniguruma syntax (`{ regex: '...' }`). */
export type Pattern = PatternName | { readonly regex: string };

/**
 * The llama.cpp `tokenizer.ggml.pre` name whose split regex equals each named pattern
 * (llama.cpp `src/llama-vocab.cpp`: `gpt-2`; `llama-bpe` uses the cl100k regex; `gpt-4o` the o200k one).
 */
export const LLAMA_CPP_PRE_TOKENIZER: Readonly<Record<PatternName, string>> = {
  gpt2: 'gpt-2',
  cl100k: 'llama-bpe',
  o200k: 'gpt-4o',
};

/**
 * Rust's `\s` is Unicode White_Space (UCD PropList.txt): it has U+0085 and lacks U+FEFF, while JavaScript's
 * `\s` is the other way round. Every `\s` is rewritten to this explicit class so splits match tiktoken.
 */
const RUST_WHITESPACE = '\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** Simple case folding of the letters the contraction groups use: `s` also folds with U+017F (ſ). */
const CASE_FOLDS = new Map<string, string>([['s', 'sSſ']]);

function caseInsensitive(letter: string): string {
  const lower = letter.toLowerCase();
  const folds = CASE_FOLDS.get(lower) ?? `${lower}${lower.toUpperCase()}`;
  return `[${folds}]`;
}

/**
 * Translates a Rust-regex split pattern to an equivalent JavaScript `RegExp` (flags `gu`): `\s`/`\S` get Rust's
 * White_Space set, `(?i:...)` groups are expanded letter by letter, and possessive quantifiers (`?+`, `++`,
 * `*+`, `}+`) become greedy ones, which match the same text in these split patterns because nothing follows
 * them inside their alternative.
 *
 * @example
 * ```ts
 * toJsRegExp("\\s+(?!\\S)").source; // "[\\t-\\r \\x85...]+(?![^\\t-\\r \\x85...])"
 * ```
 */
export function toJsRegExp(source: string): RegExp {
  let out = '';
  let inClass = false;
  let caseGroupDepth = -1;
  let depth = 0;
  let afterQuantifier = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    const quantifierBefore = afterQuantifier;
    afterQuantifier = !inClass && (char === '?' || char === '+' || char === '*' || char === '}');
    if (char === '\\') {
      const next = source[i + 1];
      if (next === undefined) throw new TokenizerFormatError('pattern', source, 'ends with a lone backslash');
      i++;
      if (next === 's') out += inClass ? RUST_WHITESPACE : `[${RUST_WHITESPACE}]`;
      else if (next === 'S') {
        if (inClass)
          throw new TokenizerFormatError('pattern', source, '\\S inside a character class is not supported');
        out += `[^${RUST_WHITESPACE}]`;
      } else if (next === 'p' || next === 'P') {
        const end = source.indexOf('}', i);
        out += source.slice(i - 1, end + 1);
        i = end;
      } else out += `\\${next}`;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      out += char;
      continue;
    }
    if (char === '[') {
      inClass = true;
      out += char;
      if (source[i + 1] === '^') out += source[++i];
      continue;
    }
    if (char === '(') {
      depth++;
      if (source.startsWith('(?i:', i)) {
        caseGroupDepth = depth;
        out += '(?:';
        i += 3;
        continue;
      }
      out += char;
      continue;
    }
    if (char === ')') {
      if (depth === caseGroupDepth) caseGroupDepth = -1;
      depth--;
      out += char;
      continue;
    }
    if (char === '+' && quantifierBefore) {
      afterQuantifier = false;
      continue;
    }
    if (caseGroupDepth !== -1 && /[a-zA-Z]/.test(char)) {
      out += caseInsensitive(char);
      continue;
    }
    out += char;
  }
  try {
    return new RegExp(out, 'gu');
  } catch (error) {
    throw new TokenizerFormatError('pattern', source, `is not a valid regex: ${(error as Error).message}`);
  }
}

/** The Rust-syntax source of a pattern. */
export function patternSource(pattern: Pattern): string {
  return typeof pattern === 'string' ? PATTERN_SOURCES[pattern] : pattern.regex;
}

/** The named pattern whose source equals `source`, if any. */
export function patternNameOf(source: string): PatternName | undefined {
  for (const [name, known] of Object.entries(PATTERN_SOURCES))
    if (known === source) return name as PatternName;
  return undefined;
}
