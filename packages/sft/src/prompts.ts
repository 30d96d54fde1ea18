import { TemplateError } from './errors.js';

/** The seed design's system prompt: an expert who answers only with JSON. */
export const DEFAULT_SYSTEM_PROMPT =
  'You are an expert teacher who writes training data for a small language model. Answer only with JSON, no prose around it.';

/** The default user prompt: one instruction/answer pair about `{topic}`, grounded in `{context}` when given. */
export const DEFAULT_USER_TEMPLATE =
  'Write one question a student might ask about {topic}, and a correct, self-contained answer of one to three sentences.\n' +
  'Use only facts from this context:\n{context}\n\n' +
  'Answer with a JSON object {"instruction": "...", "output": "..."}.';

/**
 * Fills `{name}` placeholders; `{{` and `}}` stand for literal braces. A placeholder with no value is an error.
 *
 * @example
 * ```ts
 * renderTemplate('About {topic}: {n} questions', { topic: 'whales', n: 3 }); // 'About whales: 3 questions'
 * ```
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  const known = new Map(Object.entries(values));
  return template.replace(/\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const value = known.get(name!);
    if (value === undefined)
      throw new TemplateError(
        `template variable {${name}} has no value (given: ${[...known.keys()].join(', ') || 'none'})`,
      );
    return String(value);
  });
}
