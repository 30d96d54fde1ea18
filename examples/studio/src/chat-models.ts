import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ModelServer, parseConfig } from '@lm-stack/server';
import type { Project } from './project.js';

/** What the chat tab talks to: the base, and the base with the trained adapter when there is one. */
export interface ChatTarget {
  readonly server: ModelServer;
  readonly models: readonly string[];
}

/**
 * One `@lm-stack/server` per project, in the studio's process, serving the trained model: the exported base
 * (`models/final/base-f32.gguf`, or the base GGUF chosen in the model tab) as `base`, and with the adapter
 * (`models/final/adapter.gguf`) as `base+adapter`. A new training run (new files) restarts it.
 */
export class ChatModels {
  private readonly servers = new Map<string, { key: string; target: Promise<ChatTarget> }>();

  /** The served models of the project, or why there are none. */
  async target(project: Project): Promise<ChatTarget | string> {
    const exported = join(project.finalFolder, 'base-f32.gguf');
    const chosen = project.config.base?.kind === 'gguf' ? project.config.base.path : undefined;
    const base = existsSync(exported) ? exported : chosen && existsSync(chosen) ? chosen : undefined;
    if (!base) return 'No model yet: choose a GGUF base in the Model tab, or train an adapter.';
    const adapter = join(project.finalFolder, 'adapter.gguf');
    const withAdapter = existsSync(exported) && existsSync(adapter);
    const key = [base, withAdapter ? adapter : '']
      .map((path) => (path ? `${path}@${statSync(path).mtimeMs}` : ''))
      .join('|');
    const running = this.servers.get(project.folder);
    if (running?.key === key) return running.target;
    if (running)
      void running.target.then(
        ({ server }) => server.close(),
        () => undefined,
      );
    const target = ModelServer.start(
      parseConfig(
        {
          port: 0,
          models: [
            {
              name: 'base',
              path: base,
              contextSize: 512,
              ...(withAdapter ? { adapters: [{ name: 'adapter', path: adapter }] } : {}),
            },
          ],
        },
        'studio chat',
      ),
      { logger: false },
    ).then((server) => ({ server, models: withAdapter ? ['base', 'base+adapter'] : ['base'] }));
    this.servers.set(project.folder, { key, target });
    return target;
  }

  async close(): Promise<void> {
    for (const { target } of this.servers.values()) await (await target).server.close();
    this.servers.clear();
  }
}
