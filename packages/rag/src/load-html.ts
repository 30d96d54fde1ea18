import { type HTMLElement, parse } from 'node-html-parser';
import type { DocumentPart } from './document.js';

const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head']);
// biome-ignore format: a list of tag names
const BLOCKS = new Set([
  'p', 'div', 'section', 'article', 'header', 'footer', 'main', 'aside', 'nav', 'li', 'ul', 'ol', 'table', 'tr',
  'blockquote', 'pre', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'dt', 'dd', 'figure', 'figcaption', 'br', 'hr',
]);

/** The visible text of an HTML page: block elements end paragraphs, scripts and styles are dropped. */
export function htmlText(html: string): { title: string | undefined; parts: DocumentPart[] } {
  const root = parse(html, { comment: false, blockTextElements: { pre: true } });
  const title = root.querySelector('title')?.text.trim() || undefined;
  const out: string[] = [];
  const walk = (node: HTMLElement) => {
    for (const child of node.childNodes) {
      if (child.nodeType === 3) {
        out.push(child.text.replace(/\s+/g, ' '));
        continue;
      }
      if (child.nodeType !== 1) continue;
      const element = child as HTMLElement;
      const tag = element.rawTagName?.toLowerCase() ?? '';
      if (SKIPPED.has(tag)) continue;
      const block = BLOCKS.has(tag);
      if (block) out.push('\n\n');
      if (tag === 'pre') out.push(element.text);
      else walk(element);
      if (block) out.push('\n\n');
    }
  };
  walk(root);
  const text = out
    .join('')
    .replace(/[ \t]*\n[ \t]*/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { title, parts: [{ text }] };
}
