import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from '../studio-home.js';
import type { JobMessage } from './job-message.js';
import { type JobState, jobStateSchema } from './job-state.js';

/** How many log lines a job keeps (the newest). */
const LOG_LINES = 200;

/**
 * Runs one long job per project in a child process (`node --import tsx <script>`), so the web server stays
 * responsive and a crash of the job is not a crash of the studio. The state is kept in the project's
 * `logs/job.json` on every change: a reloaded page, or a restarted studio, finds the job where it is.
 * Listeners (the pages' server-sent event streams) get every change.
 */
export class JobRunner {
  private readonly children = new Map<string, ChildProcess>();
  private readonly listeners = new Map<string, Set<(state: JobState) => void>>();
  private readonly stopSummaries = new Map<string, string>();

  /** The project's current or last job, if it ever ran one. */
  state(projectFolder: string): JobState | undefined {
    const path = join(projectFolder, 'logs', 'job.json');
    if (!existsSync(path)) return undefined;
    const state = readJsonFile(path, jobStateSchema);
    // A job recorded as running that no child runs died with an earlier studio.
    return state.status === 'running' && !this.children.has(projectFolder)
      ? { ...state, status: 'failed', summary: 'the studio stopped while the job ran' }
      : state;
  }

  /**
   * Starts `script` with `args` for the project; refuses while another job of the project runs. `input`, when
   * given, is the child's first IPC message (secrets such as API keys go there: arguments are visible to
   * every local user in the process list).
   */
  start(
    projectFolder: string,
    kind: string,
    script: string,
    args: readonly string[],
    input?: unknown,
  ): JobState {
    if (this.children.has(projectFolder)) throw new JobBusyError(this.state(projectFolder)!.kind);
    let state: JobState = {
      kind,
      status: 'running',
      done: 0,
      total: 0,
      log: [],
      losses: [],
      summary: '',
      started: new Date().toISOString(),
    };
    const update = (next: Partial<JobState>) => {
      state = { ...state, ...next };
      writeFileAtomic(join(projectFolder, 'logs', 'job.json'), `${JSON.stringify(state, null, 2)}\n`);
      for (const listener of this.listeners.get(projectFolder) ?? []) listener(state);
    };
    update({});
    const child = fork(script, [...args], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.children.set(projectFolder, child);
    if (input !== undefined) child.send({ type: 'input', input });
    let stderr = '';
    child.stderr?.on('data', (part: Buffer) => {
      stderr = (stderr + part.toString('utf8')).slice(-2000);
    });
    child.on('message', (message: JobMessage) => {
      if (message.type === 'progress') update({ done: message.done, total: message.total });
      else if (message.type === 'log') update({ log: [...state.log, message.text].slice(-LOG_LINES) });
      else if (message.type === 'loss') update({ losses: [...state.losses, message.loss] });
      else if (message.type === 'done') update({ summary: message.summary });
      else update({ summary: message.message, status: 'failed' });
    });
    child.on('exit', (code, signal) => {
      this.children.delete(projectFolder);
      const stopSummary = this.stopSummaries.get(projectFolder) ?? 'stopped';
      this.stopSummaries.delete(projectFolder);
      const finished = new Date().toISOString();
      if (state.status === 'failed') update({ finished });
      else if (signal === 'SIGTERM')
        update({
          status: 'cancelled',
          summary: stopSummary,
          finished,
        });
      else if (code === 0) update({ status: 'done', finished });
      else update({ status: 'failed', summary: stderr.trim().split('\n').pop() ?? `exit ${code}`, finished });
    });
    return state;
  }

  /**
   * Stops the project's running job; what it finished stays (ingest commits one document at a time, SFT
   * appends each sample, training checkpoints each step). `summary` says so on the page.
   */
  cancel(projectFolder: string, summary = 'stopped'): boolean {
    const child = this.children.get(projectFolder);
    if (!child) return false;
    this.stopSummaries.set(projectFolder, summary);
    child.kill('SIGTERM');
    return true;
  }

  /** Calls `listener` on every change of the project's job; returns the unsubscribe function. */
  subscribe(projectFolder: string, listener: (state: JobState) => void): () => void {
    const set = this.listeners.get(projectFolder) ?? new Set();
    set.add(listener);
    this.listeners.set(projectFolder, set);
    return () => set.delete(listener);
  }

  /** Stops every job (on shutdown). */
  stopAll(): void {
    for (const child of this.children.values()) child.kill('SIGTERM');
  }
}

/** A second job for a project while one runs. */
export class JobBusyError extends Error {
  constructor(readonly running: string) {
    super(`a ${running} job is running in this project: wait for it, or stop it`);
    this.name = 'JobBusyError';
  }
}
