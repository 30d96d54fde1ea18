import type { DocumentPart } from './document.js';
import { CorruptDocumentError, EncryptedDocumentError, LimitExceededError } from './errors.js';
import type { LoadLimits } from './limits.js';

interface TextItem {
  readonly str?: string;
  readonly hasEOL?: boolean;
}

/**
 * The text of a PDF, one part per page (pdfjs-dist, no eval, no fonts loaded). The page count is checked
 * against the limit before any page is read; encrypted files and broken structure are typed errors.
 */
export async function pdfText(
  file: string,
  bytes: Uint8Array,
  limits: LoadLimits,
): Promise<{ title: string | undefined; parts: DocumentPart[] }> {
  // ESM-only package: a dynamic import also serves this package's CommonJS build.
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = getDocument({
    data: bytes.slice(), // pdfjs detaches the buffer it is given
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: true,
    verbosity: 0,
  });
  let pdf: Awaited<typeof task.promise>;
  try {
    pdf = await task.promise;
  } catch (error) {
    await task.destroy();
    const name = (error as Error).name;
    if (name === 'PasswordException') throw new EncryptedDocumentError(file);
    throw new CorruptDocumentError(file, `not a readable PDF (${(error as Error).message})`);
  }
  try {
    if (pdf.numPages > limits.maxPages)
      throw new LimitExceededError(file, 'page count', pdf.numPages, limits.maxPages);
    const info = (await pdf.getMetadata().catch(() => undefined))?.info as { Title?: unknown } | undefined;
    const title = typeof info?.Title === 'string' && info.Title.trim() ? info.Title.trim() : undefined;
    const parts: DocumentPart[] = [];
    let length = 0;
    for (let number = 1; number <= pdf.numPages; number++) {
      const page = await pdf.getPage(number);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items as TextItem[]) {
        if (typeof item.str !== 'string') continue;
        text += item.str;
        if (item.hasEOL) text += '\n';
        else if (item.str && !/\s$/.test(item.str)) text += ' ';
      }
      page.cleanup();
      text = text.replace(/[ \t]+\n/g, '\n').trim();
      length += text.length;
      if (length > limits.maxTextLength)
        throw new LimitExceededError(file, 'extracted text length', length, limits.maxTextLength);
      if (text) parts.push({ text, page: number });
    }
    return { title, parts };
  } catch (error) {
    if (error instanceof LimitExceededError) throw error;
    throw new CorruptDocumentError(file, `a page could not be read (${(error as Error).message})`);
  } finally {
    await pdf.destroy();
  }
}
