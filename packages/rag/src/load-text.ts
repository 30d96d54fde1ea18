/** The first ATX heading of a Markdown text (`# Title`), if any. */
export function markdownTitle(text: string): string | undefined {
  return /^#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(text)?.[1]?.trim() || undefined;
}
