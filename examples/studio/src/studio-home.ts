import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SYSTEM_PROMPT, DEFAULT_USER_TEMPLATE } from '@lm-stack/sft';
import { z } from 'zod';
import { hyperparametersSchema } from './hyperparameters.js';

/** The user's global settings (`settings.json` in the studio's home folder, mode 0600: it holds an API key). */
export const settingsSchema = z.object({
  provider: z.union([z.literal('ollama'), z.literal('openai-compatible')]).default('ollama'),
  ollamaUrl: z.url().default('http://127.0.0.1:11434'),
  openAiBaseUrl: z.url().default('https://openrouter.ai/api/v1'),
  apiKey: z.string().max(500).default(''),
  temperature: z.number().min(0).max(2).default(0.7),
  forceCpu: z.boolean().default(false),
  /** What new projects start with, and what the SFT tab's "reset" restores. */
  defaults: hyperparametersSchema
    .extend({
      systemPrompt: z.string().min(1).max(20_000).default(DEFAULT_SYSTEM_PROMPT),
      userTemplate: z.string().min(1).max(20_000).default(DEFAULT_USER_TEMPLATE),
    })
    .prefault({}),
  currentProject: z.string().optional(),
});
export type Settings = z.output<typeof settingsSchema>;

/** The base URL of the helper-model provider the settings choose. */
export function providerEndpoint(settings: Settings): string {
  return settings.provider === 'ollama' ? settings.ollamaUrl : settings.openAiBaseUrl;
}

/** What a settings or project file failed on, naming the file. */
export class StudioFileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'StudioFileError';
  }
}

/** Project names become folder names: letters, digits, `-` and `_`, 1–64 of them. */
export const projectName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'use 1–64 letters, digits, - or _');

/** Writes a file whole or not at all (temporary file, then rename), with the given mode. */
export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  const partial = `${path}.partial-${process.pid}`;
  writeFileSync(partial, text, { mode });
  chmodSync(partial, mode);
  renameSync(partial, path);
}

/** Reads a JSON file through a zod schema; a missing file gives the schema's defaults. */
export function readJsonFile<T>(path: string, schema: z.ZodType<T>): T {
  if (!existsSync(path)) return schema.parse({});
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new StudioFileError(path, `not JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new StudioFileError(path, z.prettifyError(parsed.error));
  return parsed.data;
}

/** The studio's home folder: `settings.json` and `projects/<name>/`. */
export class StudioHome {
  constructor(
    readonly folder: string = process.env.LM_STACK_STUDIO_HOME ?? join(homedir(), '.lm-stack-studio'),
  ) {
    mkdirSync(join(folder, 'projects'), { recursive: true });
  }

  get settingsPath(): string {
    return join(this.folder, 'settings.json');
  }

  settings(): Settings {
    return readJsonFile(this.settingsPath, settingsSchema);
  }

  saveSettings(settings: Settings): void {
    writeFileAtomic(this.settingsPath, `${JSON.stringify(settingsSchema.parse(settings), null, 2)}\n`, 0o600);
  }

  projectFolder(name: string): string {
    return join(this.folder, 'projects', projectName.parse(name));
  }

  projects(): string[] {
    return readdirSync(join(this.folder, 'projects'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && projectName.safeParse(entry.name).success)
      .map((entry) => entry.name)
      .sort();
  }
}
