/** HTML-escaped text: what `html` puts in place of every interpolated value that is not `Html`. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Markup that `html` inserts as it is (already escaped or built by `html`). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * A tagged template for HTML: interpolated strings are escaped (file names, search results and messages come
 * from the user), `Html` values and arrays of them are inserted as they are.
 *
 * @example
 * ```ts
 * html`<li>${name}</li>`; // name "<b>" becomes &#60;b&#62;
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}
