import {
  createReadStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { RagStore } from '@lm-stack/rag';
import { ChatClient } from '@lm-stack/sft';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import OpenAI from 'openai';
import { z } from 'zod';
import { ChatModels } from './chat-models.js';
import { hardwarePanel } from './hardware.js';
import type { Html } from './html.js';
import { hyperparametersFromForm, hyperparametersSchema } from './hyperparameters.js';
import { JobBusyError, JobRunner } from './jobs/job-runner.js';
import type { SftJobInput } from './jobs/sft-job-input.js';
import type { TrainJobInput } from './jobs/train-job-input.js';
import { ollamaModels } from './ollama.js';
import {
  chatTab,
  documentsTab,
  layout,
  modelTab,
  projectTab,
  searchResults,
  settingsTab,
  sftTab,
  TABS,
  type Tab,
  trainingTab,
} from './pages.js';
import { Project, projectConfigSchema, studioEmbedder, UPLOAD_TYPES } from './project.js';
import { projectName, providerEndpoint, StudioHome, settingsSchema } from './studio-home.js';

/** Largest upload accepted, per file. */
const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
const INGEST_JOB = new URL('./jobs/ingest-job.ts', import.meta.url).pathname;
const SFT_JOB = new URL('./jobs/sft-job.ts', import.meta.url).pathname;
const TRAIN_JOB = new URL('./jobs/train-job.ts', import.meta.url).pathname;
const require = createRequire(import.meta.url);

/** The studio's web app on a studio home folder (see {@link StudioHome}). */
export async function createStudio(
  home = new StudioHome(),
): Promise<{ app: FastifyInstance; jobs: JobRunner }> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  await app.register(formbody);
  await app.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 50 } });
  const jobs = new JobRunner();
  /** The helper models the API listed last, per project (the SFT tab's "refresh"). */
  const listedModels = new Map<string, string[]>();
  const chatClient = (model: string) => {
    const settings = home.settings();
    return new ChatClient({
      provider: settings.provider === 'ollama' ? 'ollama' : 'openai',
      model: model || 'unset',
      baseURL: providerEndpoint(settings),
      ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
      attempts: 1,
      timeoutMs: 5000,
    });
  };
  const chatModels = new ChatModels();
  app.addHook('onClose', async () => {
    jobs.stopAll();
    await chatModels.close();
  });

  const current = (): Project | undefined => {
    const name = home.settings().currentProject;
    return name && existsSync(home.projectFolder(name))
      ? Project.open(home.projectFolder(name), name)
      : undefined;
  };
  const back = (reply: FastifyReply, tab: Tab, message?: { error?: string; info?: string }) => {
    const query = new URLSearchParams({ tab, ...message });
    return reply.redirect(`/?${query}`, 303);
  };
  /** Starts a job and goes back to its tab; a second job while one runs is a message there. */
  const startJob = (
    reply: FastifyReply,
    tab: Tab,
    project: Project,
    kind: string,
    script: string,
    args: readonly string[],
    input?: unknown,
  ) => {
    try {
      jobs.start(project.folder, kind, script, args, input);
    } catch (error) {
      if (error instanceof JobBusyError) return back(reply, tab, { error: error.message });
      throw error;
    }
    return back(reply, tab);
  };
  const page = (reply: FastifyReply, body: Html) => reply.type('text/html; charset=utf-8').send(body.text);

  app.get('/assets/htmx.min.js', (_request, reply) =>
    reply.type('text/javascript').send(readFileSync(require.resolve('htmx.org/dist/htmx.min.js'))),
  );

  app.get<{ Querystring: { tab?: string; error?: string; info?: string } }>('/', async (request, reply) => {
    const tab = (TABS.find(([id]) => id === request.query.tab)?.[0] ?? 'project') as Tab;
    const project = current();
    const settings = home.settings();
    const message = request.query.error
      ? { kind: 'error' as const, text: request.query.error }
      : request.query.info
        ? { kind: 'info' as const, text: request.query.info }
        : undefined;
    let body: Html;
    if (tab === 'project' || (!project && tab !== 'settings'))
      body = projectTab(home.projects(), project?.config.name, await hardwarePanel(settings.forceCpu));
    else if (tab === 'documents')
      body = documentsTab({
        ...documentStatus(project!),
        job: jobs.state(project!.folder),
        config: project!.config,
      });
    else if (tab === 'model')
      body = modelTab({
        config: project!.config,
        projectModels: project!.models(),
        ollama: await ollamaModels(settings.ollamaUrl),
      });
    else if (tab === 'sft') {
      const samples = project!.samples();
      body = sftTab({
        config: project!.config,
        settings,
        models: listedModels.get(project!.folder) ?? [],
        job: jobs.state(project!.folder),
        preview: samples.slice(0, 10),
        written: samples.length,
      });
    } else if (tab === 'training')
      body = trainingTab({
        config: project!.config,
        job: jobs.state(project!.folder),
        samples: project!.samples().length,
        outputs: project!.outputs(),
        finalFolder: project!.finalFolder,
      });
    else if (tab === 'chat') {
      const target = await chatModels.target(project!);
      body = chatTab(typeof target === 'string' ? target : target.models);
    } else body = settingsTab(settings, home.settingsPath);
    const notice =
      !project && tab !== 'project' && tab !== 'settings'
        ? { kind: 'error' as const, text: 'Create or open a project first.' }
        : message;
    return page(
      reply,
      layout({
        tab: project || tab === 'settings' ? tab : 'project',
        project: project?.config.name,
        message: notice,
        body,
      }),
    );
  });

  app.post<{ Body: { name?: string } }>('/projects', async (request, reply) => {
    const name = projectName.safeParse(request.body?.name ?? '');
    if (!name.success)
      return back(reply, 'project', { error: `Project name: ${name.error.issues[0]!.message}.` });
    const exists = existsSync(home.projectFolder(name.data));
    Project.open(home.projectFolder(name.data), name.data, home.settings().defaults);
    home.saveSettings({ ...home.settings(), currentProject: name.data });
    return back(reply, 'documents', {
      info: exists ? `Opened ${name.data}.` : `Created project ${name.data}.`,
    });
  });

  app.post<{ Body: { name?: string } }>('/projects/open', async (request, reply) => {
    const name = projectName.safeParse(request.body?.name ?? '');
    if (!name.success || !existsSync(home.projectFolder(name.data)))
      return back(reply, 'project', { error: 'No such project.' });
    home.saveSettings({ ...home.settings(), currentProject: name.data });
    return back(reply, 'documents', { info: `Opened ${name.data}.` });
  });

  app.post('/documents', async (request, reply) => {
    const project = current();
    if (!project) return back(reply, 'project', { error: 'Create or open a project first.' });
    const saved: string[] = [];
    const refused: string[] = [];
    try {
      for await (const part of request.files()) {
        const name = basename(part.filename || '');
        const buffer = await part.toBuffer();
        if (!name || !(UPLOAD_TYPES as readonly string[]).includes(extname(name).toLowerCase())) {
          refused.push(`${name || 'a file without a name'} (not PDF, TXT, MD or DOCX)`);
          continue;
        }
        if (buffer.length === 0) {
          refused.push(`${name} (empty)`);
          continue;
        }
        // Whole or not at all: a half-written upload never looks like a document.
        const partial = join(project.uploads, `.${name}.partial`);
        writeFileSync(partial, buffer);
        renameSync(partial, join(project.uploads, name));
        saved.push(name);
      }
    } catch (error) {
      const tooLarge = (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE';
      refused.push(tooLarge ? `a file over ${MAX_UPLOAD_BYTES / 2 ** 20} MiB` : (error as Error).message);
    }
    const info = saved.length ? `Uploaded ${saved.join(', ')}.` : '';
    if (refused.length)
      return back(reply, 'documents', { error: `${info} Not uploaded: ${refused.join('; ')}.`.trim() });
    return back(reply, 'documents', saved.length ? { info } : { error: 'Choose one or more files first.' });
  });

  app.post('/documents/process', async (_request, reply) => {
    const project = current();
    if (!project) return back(reply, 'project', { error: 'Create or open a project first.' });
    if (project.documents().length === 0)
      return back(reply, 'documents', { error: 'Upload documents before processing.' });
    return startJob(reply, 'documents', project, 'processing', INGEST_JOB, [
      project.uploads,
      project.database,
      String(project.config.chunkSize),
      String(project.config.overlap),
    ]);
  });

  app.post<{ Body: { tab?: string } }>('/jobs/stop', async (request, reply) => {
    const project = current();
    const tab =
      request.body?.tab === 'sft' || request.body?.tab === 'training' ? request.body.tab : 'documents';
    if (project) jobs.cancel(project.folder);
    return back(reply, tab, { info: 'Stopped: what was finished is kept.' });
  });

  app.post<{ Body: { message?: unknown } }>('/chat', async (request, reply) => {
    const project = current();
    const message = typeof request.body?.message === 'string' ? request.body.message.slice(0, 4000) : '';
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    const line = (value: object) => reply.raw.write(`${JSON.stringify(value)}\n`);
    const target = project ? await chatModels.target(project) : 'Create or open a project first.';
    if (typeof target === 'string' || !message.trim()) {
      line({ error: typeof target === 'string' ? target : 'Type a message first.' });
      return reply.raw.end();
    }
    const client = new OpenAI({ baseURL: `${target.server.url}/v1`, apiKey: 'local', maxRetries: 0 });
    // Both answers at once, each piece written as it arrives.
    await Promise.all(
      target.models.map(async (model) => {
        try {
          const stream = await client.chat.completions.create({
            model,
            messages: [{ role: 'user', content: message }],
            max_tokens: 64,
            temperature: 0,
            stream: true,
          });
          for await (const chunk of stream) {
            const text = chunk.choices[0]?.delta.content;
            if (text) line({ model, text });
          }
        } catch (error) {
          line({ error: `${model}: ${(error as Error).message}` });
        }
      }),
    );
    reply.raw.end();
  });

  app.post<{ Body: Record<string, string | undefined> }>('/training', async (request, reply) => {
    const project = current();
    if (!project) return back(reply, 'project', { error: 'Create or open a project first.' });
    const body = request.body ?? {};
    const action = body.action ?? 'start';
    if (action === 'pause')
      return back(
        reply,
        'training',
        jobs.cancel(project.folder, 'paused: Resume continues from the last step')
          ? { info: 'Paused at the last checkpoint.' }
          : { error: 'No training is running.' },
      );
    if (action === 'cancel') {
      jobs.cancel(project.folder, 'cancelled');
      rmSync(project.checkpoints, { recursive: true, force: true });
      return back(reply, 'training', { info: 'Cancelled: the next start begins from scratch.' });
    }
    const parsed = hyperparametersSchema.safeParse(hyperparametersFromForm(body));
    if (!parsed.success)
      return back(reply, 'training', { error: `Not started: ${z.prettifyError(parsed.error)}` });
    const saved = project.save({ ...project.config, training: parsed.data }).config;
    if (saved.base?.kind !== 'gguf')
      return back(reply, 'training', {
        error: 'Choose a GGUF base (a model lm-stack exported) in the Model tab first.',
      });
    if (project.samples().length === 0)
      return back(reply, 'training', { error: 'Generate SFT data first: training needs samples.' });
    if (action === 'start') rmSync(project.checkpoints, { recursive: true, force: true });
    const base = saved.base.path.includes('/') ? saved.base.path : join(project.finalFolder, saved.base.path);
    const input: TrainJobInput = {
      base,
      samples: project.sftOutput,
      runDirectory: project.checkpoints,
      finalFolder: project.finalFolder,
      ...saved.training,
      quantization: saved.outputs.quantization,
      gguf: saved.outputs.gguf,
      peft: saved.outputs.peft,
      modelfile: saved.outputs.modelfile,
      forceCpu: home.settings().forceCpu,
    };
    return startJob(reply, 'training', project, 'training', TRAIN_JOB, [], input);
  });

  app.post<{ Body: Record<string, string | undefined> }>('/sft', async (request, reply) => {
    const project = current();
    if (!project) return back(reply, 'project', { error: 'Create or open a project first.' });
    const body = request.body ?? {};
    const action = body.action ?? 'save';
    if (action === 'reset') {
      const { systemPrompt, userTemplate } = home.settings().defaults;
      project.save({ ...project.config, sft: { ...project.config.sft, systemPrompt, userTemplate } });
      return back(reply, 'sft', { info: 'Prompts reset to the defaults.' });
    }
    const parsed = projectConfigSchema.shape.sft.safeParse({
      model: (body.model ?? '').trim(),
      systemPrompt: body.systemPrompt,
      userTemplate: body.userTemplate,
      samples: Number(body.samples),
      temperature: Number(body.temperature),
      maxInstructionLength: Number(body.maxInstructionLength),
      maxOutputLength: Number(body.maxOutputLength),
    });
    if (!parsed.success) return back(reply, 'sft', { error: `Not saved: ${z.prettifyError(parsed.error)}` });
    const saved = project.save({ ...project.config, sft: parsed.data });
    const sft = saved.config.sft;
    if (action === 'models' || action === 'test') {
      try {
        const models = await chatClient(sft.model).listModels();
        listedModels.set(project.folder, models);
        return back(reply, 'sft', {
          info: `API answered: ${models.length} model${models.length === 1 ? '' : 's'}.`,
        });
      } catch (error) {
        return back(reply, 'sft', { error: `The API did not answer: ${(error as Error).message}` });
      }
    }
    if (action !== 'generate') return back(reply, 'sft', { info: 'Saved.' });
    if (!sft.model)
      return back(reply, 'sft', { error: 'Choose a model first (refresh the list, or type its name).' });
    if (documentStatus(project).totalChunks === 0)
      return back(reply, 'sft', { error: 'Process documents first: samples are written from their chunks.' });
    const settings = home.settings();
    const input: SftJobInput = {
      provider: settings.provider,
      baseUrl: providerEndpoint(settings),
      apiKey: settings.apiKey,
      model: sft.model,
      database: project.database,
      output: project.sftOutput,
      rejected: project.sftRejected,
      systemPrompt: sft.systemPrompt,
      userTemplate: sft.userTemplate,
      samples: sft.samples,
      temperature: sft.temperature,
      maxInstructionLength: sft.maxInstructionLength,
      maxOutputLength: sft.maxOutputLength,
    };
    return startJob(reply, 'sft', project, 'SFT generation', SFT_JOB, [], input);
  });

  app.get('/jobs/events', (request, reply) => {
    const project = current();
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    if (!project) return reply.raw.end();
    const send = (state: unknown) => reply.raw.write(`data: ${JSON.stringify(state)}\n\n`);
    const state = jobs.state(project.folder);
    if (state) send(state);
    const unsubscribe = jobs.subscribe(project.folder, send);
    request.raw.on('close', unsubscribe);
  });

  app.get<{ Querystring: { q?: string } }>('/documents/search', async (request, reply) => {
    const project = current();
    const query = String(request.query.q ?? '').slice(0, 500);
    if (!project || !existsSync(project.database) || !query.trim())
      return page(reply, searchResults(query, []));
    const store = RagStore.open(project.database, { embedder: studioEmbedder() });
    try {
      return page(reply, searchResults(query, await store.search(query, { k: 5 })));
    } finally {
      store.close();
    }
  });

  app.get('/documents/export', async (_request, reply) => {
    const project = current();
    if (!project || !existsSync(project.database))
      return back(reply, 'documents', { error: 'Nothing to export: process documents first.' });
    const folder = mkdtempSync(join(tmpdir(), 'studio-export-'));
    const target = join(folder, `${project.config.name}-rag.db`);
    const store = RagStore.open(project.database);
    try {
      store.exportTo(target); // VACUUM INTO: a consistent copy, even while a job writes
    } finally {
      store.close();
    }
    reply.raw.on('close', () => rmSync(folder, { recursive: true, force: true }));
    return reply
      .header('content-disposition', `attachment; filename="${basename(target)}"`)
      .type('application/vnd.sqlite3')
      .send(createReadStream(target));
  });

  app.post<{ Body: Record<string, string | undefined> }>('/model', async (request, reply) => {
    const project = current();
    if (!project) return back(reply, 'project', { error: 'Create or open a project first.' });
    const body = request.body ?? {};
    const choice = body.base ?? '';
    let base = project.config.base;
    if (choice.startsWith('project:')) base = { kind: 'gguf', path: choice.slice('project:'.length) };
    else if (choice.startsWith('ollama:')) base = { kind: 'ollama', model: choice.slice('ollama:'.length) };
    else if (choice === 'path') {
      const path = (body.path ?? '').trim();
      if (!path.endsWith('.gguf') || !existsSync(path))
        return back(reply, 'model', { error: `No GGUF file at ${path || '(empty path)'}.` });
      base = { kind: 'gguf', path };
    }
    const quantization = z
      .union([z.literal('F32'), z.literal('Q8_0'), z.literal('Q4_0')])
      .catch('Q8_0')
      .parse(body.quantization);
    project.save({
      ...project.config,
      ...(base ? { base } : {}),
      outputs: {
        gguf: body.gguf === 'on',
        quantization,
        peft: body.peft === 'on',
        modelfile: body.modelfile === 'on',
      },
    });
    return back(reply, 'model', { info: 'Saved the model choice.' });
  });

  app.post<{ Body: Record<string, string | undefined> }>('/settings', async (request, reply) => {
    const body = request.body ?? {};
    const previous = home.settings();
    const parsed = settingsSchema.safeParse({
      ...previous,
      provider: body.provider,
      ollamaUrl: body.ollamaUrl,
      openAiBaseUrl: body.openAiBaseUrl,
      // An empty field keeps the stored key: the page never has it to send back.
      apiKey: body.apiKey ? body.apiKey : previous.apiKey,
      temperature: Number(body.temperature),
      forceCpu: body.forceCpu === 'on',
      defaults: {
        systemPrompt: body.systemPrompt,
        userTemplate: body.userTemplate,
        ...hyperparametersFromForm(body),
      },
    });
    if (!parsed.success)
      return back(reply, 'settings', { error: `Settings not saved: ${z.prettifyError(parsed.error)}` });
    home.saveSettings(parsed.data);
    return back(reply, 'settings', { info: 'Settings saved.' });
  });

  return { app, jobs };
}

/** Uploaded documents with their chunk counts in the database (undefined: not processed yet). */
function documentStatus(project: Project) {
  const chunks = new Map<string, number>();
  if (existsSync(project.database)) {
    const store = RagStore.open(project.database);
    try {
      const rows = store.db
        .prepare('SELECT filename, COUNT(*) AS chunks FROM documents GROUP BY filename')
        .all() as {
        filename: string;
        chunks: number;
      }[];
      for (const row of rows) chunks.set(basename(row.filename), row.chunks);
    } finally {
      store.close();
    }
  }
  const documents = project
    .documents()
    .map((document) => ({ ...document, chunks: chunks.get(document.name) }));
  return { documents, totalChunks: [...chunks.values()].reduce((sum, n) => sum + n, 0) };
}
