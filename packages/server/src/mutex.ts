/** One at a time: llama.cpp evaluates one sequence of a context at a time. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task given before it has finished. */
  lock<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
