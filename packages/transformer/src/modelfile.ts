import { type ChatTemplate, toOllamaTemplate } from '@lm-stack/tokenizer';
import { writeFileAtomic } from './atomic-file.js';

/** What an Ollama Modelfile says. */
export interface ModelfileOptions {
  /** The GGUF file (a path relative to the Modelfile, or absolute). */
  readonly from: string;
  /** The chat template the model was trained with: becomes TEMPLATE and `PARAMETER stop`. */
  readonly chatTemplate?: ChatTemplate;
  /** A LoRA adapter GGUF applied on top (`ADAPTER`). */
  readonly adapter?: string;
  /** Default system message (`SYSTEM`). */
  readonly system?: string;
  /** More `PARAMETER` lines, e.g. `{ temperature: 0.7, num_ctx: 256 }`. */
  readonly parameters?: Readonly<Record<string, string | number>>;
}

/** A Modelfile triple-quoted string: `"""` cannot appear inside. */
function tripleQuoted(field: string, text: string): string {
  if (text.includes('"""')) throw new RangeError(`${field} contains """, which a Modelfile cannot quote`);
  return `"""${text}"""`;
}

/**
 * The text of an Ollama Modelfile: FROM, ADAPTER, TEMPLATE (Go text/template rendering the same prompt as the
 * tokenizer's chat template), PARAMETER stop for its end-of-turn token, SYSTEM, and other parameters.
 *
 * @example
 * ```ts
 * modelfile({ from: './tiny-q8_0.gguf', chatTemplate: CHATML, system: 'You answer questions about Moby-Dick.' });
 * // FROM ./tiny-q8_0.gguf\nTEMPLATE """{{- range .Messages }}<|im_start|>{{ .Role }}…"""\nPARAMETER stop "<|im_end|>"\n…
 * ```
 */
export function modelfile(options: ModelfileOptions): string {
  const lines = [`FROM ${options.from}`];
  if (options.adapter) lines.push(`ADAPTER ${options.adapter}`);
  if (options.chatTemplate) {
    const { template, stop } = toOllamaTemplate(options.chatTemplate);
    lines.push(`TEMPLATE ${tripleQuoted('TEMPLATE', template)}`);
    for (const text of stop) lines.push(`PARAMETER stop ${JSON.stringify(text)}`);
  }
  for (const [name, value] of Object.entries(options.parameters ?? {}))
    lines.push(`PARAMETER ${name} ${typeof value === 'number' ? value : JSON.stringify(value)}`);
  if (options.system !== undefined) lines.push(`SYSTEM ${tripleQuoted('SYSTEM', options.system)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Writes {@link modelfile}'s text to `path` atomically (temporary file, fsync, rename).
 *
 * @example
 * ```ts
 * writeModelfile('Modelfile', { from: './tiny-q8_0.gguf', chatTemplate: CHATML });
 * // then: ollama create tiny -f Modelfile
 * ```
 */
export function writeModelfile(path: string, options: ModelfileOptions): void {
  writeFileAtomic(path, modelfile(options));
}
