import type { DocumentPart } from './document.js';
import { CorruptDocumentError, EncryptedDocumentError } from './errors.js';
import type { LoadLimits } from './limits.js';
import { readZipEntries } from './zip-archive.js';

// An encrypted Office file is an OLE compound file, not a zip: MS-CFB header signature D0 CF 11 E0.
const COMPOUND_FILE = [0xd0, 0xcf, 0x11, 0xe0];

const XML_ENTITIES = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
]);

/** The text of a DOCX: the archive is inflated under the limits first, then mammoth reads the raw text. */
export async function docxText(
  file: string,
  bytes: Uint8Array,
  limits: LoadLimits,
): Promise<{ title: string | undefined; parts: DocumentPart[] }> {
  if (COMPOUND_FILE.every((byte, i) => bytes[i] === byte)) throw new EncryptedDocumentError(file);
  const entries = readZipEntries(file, bytes, limits);
  if (!entries.has('word/document.xml'))
    throw new CorruptDocumentError(file, 'not a DOCX (no word/document.xml)');
  const core = entries.get('docProps/core.xml');
  const rawTitle = core
    ? /<dc:title>([^<]*)<\/dc:title>/.exec(new TextDecoder().decode(core))?.[1]
    : undefined;
  const title = rawTitle
    ?.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => XML_ENTITIES.get(name)!)
    .trim();
  const mammoth = await import('mammoth');
  let text: string;
  try {
    text = (await mammoth.extractRawText({ buffer: Buffer.from(bytes) })).value;
  } catch (error) {
    throw new CorruptDocumentError(file, `mammoth could not read it (${(error as Error).message})`);
  }
  return { title: title || undefined, parts: [{ text: text.replace(/\n{3,}/g, '\n\n').trim() }] };
}
