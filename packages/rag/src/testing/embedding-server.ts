import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HashingEmbedder } from '../hashing-embedder.js';

/** What the server does with the next requests, in order; after the list, it answers normally. */
export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'garbage' }
  | { kind: 'wrong-count' }
  | { kind: 'wrong-dimension' };

/**
 * A real HTTP server on 127.0.0.1 that speaks Ollama's `/api/embed` and OpenAI's `/v1/embeddings` with
 * vectors from a HashingEmbedder, and injects the faults it is given. It records every request.
 */
export class EmbeddingServer {
  readonly requests: { path: string; authorization: string | undefined; inputs: number }[] = [];
  faults: Fault[] = [];
  private readonly embedder = new HashingEmbedder(32);
  private constructor(private readonly server: Server) {}

  static async start(): Promise<EmbeddingServer> {
    let instance: EmbeddingServer | undefined;
    const server = createServer((request, response) => void instance!.handle(request, response));
    instance = new EmbeddingServer(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    for await (const part of request) body += part;
    const parsed = JSON.parse(body || '{}') as { input?: string | string[]; model?: string };
    const inputs = Array.isArray(parsed.input) ? parsed.input : [parsed.input ?? ''];
    this.requests.push({
      path: request.url ?? '',
      authorization: request.headers.authorization,
      inputs: inputs.length,
    });
    const fault = this.faults.shift();
    if (fault?.kind === 'status') {
      response.writeHead(fault.status, {
        'content-type': 'application/json',
        ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}),
      });
      response.end(JSON.stringify({ error: { message: `injected ${fault.status}` } }));
      return;
    }
    if (fault?.kind === 'garbage') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"embeddings": [[0.1, ');
      return;
    }
    let vectors = (await this.embedder.embed(inputs)).map((vector) => [...vector]);
    if (fault?.kind === 'wrong-count') vectors = vectors.slice(1);
    if (fault?.kind === 'wrong-dimension') vectors[vectors.length - 1] = vectors.at(-1)!.slice(1);
    response.writeHead(200, { 'content-type': 'application/json' });
    if (request.url === '/api/embed')
      response.end(JSON.stringify({ model: parsed.model, embeddings: vectors }));
    else
      response.end(
        JSON.stringify({
          object: 'list',
          model: parsed.model,
          data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })).reverse(),
          usage: { prompt_tokens: 1, total_tokens: 1 },
        }),
      );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
