/** What a running Ollama lists, or why it could not be asked. */
export type OllamaModels =
  | { readonly ok: true; readonly models: string[] }
  | { readonly ok: false; readonly message: string };

/** Ollama's `/api/tags` within `timeoutMs`; a stopped Ollama is a message, not an error. */
export async function ollamaModels(baseUrl: string, timeoutMs = 1500): Promise<OllamaModels> {
  try {
    const response = await fetch(new URL('/api/tags', baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { ok: false, message: `Ollama at ${baseUrl} answered HTTP ${response.status}` };
    const body = (await response.json()) as { models?: { name?: unknown }[] };
    const models = (body.models ?? []).map((model) => model.name).filter((name) => typeof name === 'string');
    return { ok: true, models: models as string[] };
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? 'did not answer in time' : 'is not running';
    return {
      ok: false,
      message: `Ollama at ${baseUrl} ${reason}: start it (ollama serve) or pick a GGUF file. Settings → API holds its URL.`,
    };
  }
}
