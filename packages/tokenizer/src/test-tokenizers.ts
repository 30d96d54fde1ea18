// Shared fixtures for this package's tests (not exported by index.ts, so never published).
import { get_encoding, type Tiktoken } from 'tiktoken';
import { BpeTokenizer, type TiktokenEncodingName } from './index.js';

const ours = new Map<TiktokenEncodingName, Promise<BpeTokenizer>>();
const references = new Map<TiktokenEncodingName, Tiktoken>();

/** Our tokenizer for a tiktoken encoding, built once per test file. */
export function tiktokenTokenizer(name: TiktokenEncodingName): Promise<BpeTokenizer> {
  if (!ours.has(name)) ours.set(name, BpeTokenizer.fromTiktoken(name));
  return ours.get(name)!;
}

/** The `tiktoken` (WASM) reference encoder. */
export function referenceEncoding(name: TiktokenEncodingName): Tiktoken {
  if (!references.has(name)) references.set(name, get_encoding(name));
  return references.get(name)!;
}

/** Edge strings every encoding test runs over. */
export const EDGE_STRINGS: Record<string, string> = {
  empty: '',
  'leading spaces': '   hello',
  'only whitespace': ' \t \n  ',
  crlf: 'line one\r\nline two\r\n\r\n',
  tabs: '\tindented\t\ttext\t',
  'emoji with ZWJ': 'family: 👨‍👩‍👧‍👦 and flag 🏳️‍🌈!',
  cjk: '日本語のテキストと中文文本',
  'combining marks': 'e\u0301 a\u0308 n\u0303 Z\u0351\u0358',
  rtl: 'مرحبا بالعالم שלום עולם',
  'NUL and C0': 'a\u0000b\u0001c\u001fd\u007f',
  'C1 controls': 'x\u0080y\u0090z\u009f',
  'U+0085 (NEL)': 'before\u0085after \u0085\u0085 end',
  'U+FEFF (BOM)': '\ufeffstart and\ufeff middle \ufeff',
  'long digits': '12345678901234567890 3.14159265358979',
  contractions: "I'm you're he'll they've she'd it's we'RE DON'T \u017f",
  'mixed case': 'HTTPServer parseJSON iPhone',
  'unicode spaces': 'a\u00a0b\u2003c\u3000d\u2028e\u2029f',
  'lone surrogates': 'x\ud800y\udc00z',
  punctuation: '...!!!??? --- /// <<>> $$$',
  code: 'function f(x) {\n  return x ** 2; // square\n}\n',
};
