/** What a job's child process tells the studio, over IPC. */
export type JobMessage =
  | { readonly type: 'progress'; readonly done: number; readonly total: number }
  | { readonly type: 'log'; readonly text: string }
  | { readonly type: 'loss'; readonly loss: number }
  | { readonly type: 'done'; readonly summary: string }
  | { readonly type: 'error'; readonly message: string };
