import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { HashingEmbedder } from '@lm-stack/rag';
import { DEFAULT_SYSTEM_PROMPT, DEFAULT_USER_TEMPLATE, type GeneratedRecord, readJsonl } from '@lm-stack/sft';
import { z } from 'zod';
import { hyperparametersSchema } from './hyperparameters.js';
import { readJsonFile, type Settings, StudioFileError, writeFileAtomic } from './studio-home.js';

/** A project's `config.json`. */
export const projectConfigSchema = z.object({
  name: z.string(),
  created: z.string(),
  chunkSize: z.number().int().min(32).max(8192).default(512),
  overlap: z.number().int().min(0).max(4096).default(50),
  /** The base model: a GGUF in the project, a GGUF path, or an Ollama model. */
  base: z
    .union([
      z.object({ kind: z.literal('gguf'), path: z.string() }),
      z.object({ kind: z.literal('ollama'), model: z.string() }),
    ])
    .optional(),
  outputs: z
    .object({
      gguf: z.boolean().default(true),
      quantization: z.union([z.literal('F32'), z.literal('Q8_0'), z.literal('Q4_0')]).default('Q8_0'),
      peft: z.boolean().default(false),
      modelfile: z.boolean().default(true),
    })
    .prefault({}),
  /** Training (tab 4): LoRA hyperparameters. */
  training: hyperparametersSchema.prefault({}),
  /** SFT data generation (tab 3): the helper model, prompts and counts. */
  sft: z
    .object({
      model: z.string().max(200).default(''),
      systemPrompt: z.string().min(1).max(20_000).default(DEFAULT_SYSTEM_PROMPT),
      userTemplate: z.string().min(1).max(20_000).default(DEFAULT_USER_TEMPLATE),
      samples: z.number().int().min(1).max(1000).default(100),
      temperature: z.number().min(0).max(2).default(0.7),
      /** Longest instruction and answer accepted, in characters (also sent in the JSON schema). */
      maxInstructionLength: z.number().int().min(20).max(2000).default(300),
      maxOutputLength: z.number().int().min(20).max(8000).default(1000),
    })
    .prefault({}),
});
export type ProjectConfig = z.output<typeof projectConfigSchema>;

/** The embedder of every project's database: ingest and search must use the same one (no server needed). */
export function studioEmbedder(): HashingEmbedder {
  return new HashingEmbedder(256);
}

/** The document types the studio ingests (what `@lm-stack/rag` loads). */
export const UPLOAD_TYPES = ['.pdf', '.txt', '.md', '.docx'] as const;

/** One project folder: config.json, data/ (uploads, rag.db, sft-*.jsonl), models/ and logs/. */
export class Project {
  private constructor(
    readonly folder: string,
    readonly config: ProjectConfig,
  ) {}

  /** Creates the folder layout and config (from the user's `defaults`), or opens an existing project. */
  static open(folder: string, name: string, defaults?: Settings['defaults']): Project {
    for (const sub of ['data/uploads', 'models/checkpoints', 'models/final', 'logs'])
      mkdirSync(join(folder, sub), { recursive: true });
    const path = join(folder, 'config.json');
    if (!existsSync(path)) {
      const config = projectConfigSchema.parse({
        name,
        created: new Date().toISOString(),
        ...(defaults
          ? {
              sft: { systemPrompt: defaults.systemPrompt, userTemplate: defaults.userTemplate },
              training: hyperparametersSchema.parse(defaults),
            }
          : {}),
      });
      writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`);
      return new Project(folder, config);
    }
    const config = readJsonFile(path, projectConfigSchema);
    if (config.name !== name) throw new StudioFileError(path, `names project ${config.name}, not ${name}`);
    return new Project(folder, config);
  }

  get uploads(): string {
    return join(this.folder, 'data', 'uploads');
  }

  get database(): string {
    return join(this.folder, 'data', 'rag.db');
  }

  /** Generated SFT samples (JSONL, appended as they arrive) and the items that gave none. */
  get sftOutput(): string {
    return join(this.folder, 'data', 'sft-generated.jsonl');
  }

  get checkpoints(): string {
    return join(this.folder, 'models', 'checkpoints');
  }

  get finalFolder(): string {
    return join(this.folder, 'models', 'final');
  }

  /** What training exported (models/final), by name. */
  outputs(): string[] {
    return readdirSync(this.finalFolder).sort();
  }

  /** The generated SFT samples (none before the first generation). */
  samples(): GeneratedRecord[] {
    return existsSync(this.sftOutput) ? readJsonl<GeneratedRecord>(this.sftOutput) : [];
  }

  get sftRejected(): string {
    return join(this.folder, 'data', 'sft-rejected.jsonl');
  }

  save(config: ProjectConfig): Project {
    const parsed = projectConfigSchema.parse(config);
    writeFileAtomic(join(this.folder, 'config.json'), `${JSON.stringify(parsed, null, 2)}\n`);
    return new Project(this.folder, parsed);
  }

  /** Uploaded documents, by name, with their sizes. */
  documents(): { name: string; bytes: number }[] {
    return readdirSync(this.uploads)
      .filter((name) => (UPLOAD_TYPES as readonly string[]).includes(extname(name).toLowerCase()))
      .sort()
      .map((name) => ({ name, bytes: statSync(join(this.uploads, name)).size }));
  }

  /** GGUF files the project made (models/final). */
  models(): string[] {
    return readdirSync(join(this.folder, 'models', 'final'))
      .filter((name) => name.endsWith('.gguf'))
      .sort();
  }
}
