import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server does with a request (after a delay). */
export type Behaviour =
  | { kind: 'answer'; text: string }
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'stall' }
  | { kind: 'truncated' }
  | { kind: 'garbage' };

/**
 * A real HTTP server on 127.0.0.1 speaking OpenAI's `/v1/chat/completions` and Ollama's `/api/chat`, whose
 * answers come from `behave(request number, prompt, model)`. It records in-flight counts and every Authorization
 * header, and answers after `delayMs`.
 */
export class FaultServer {
  inFlight = 0;
  maxInFlight = 0;
  requests = 0;
  readonly authorizations: string[] = [];
  delayMs = 5;
  behave: (n: number, prompt: string, model: string) => Behaviour = () => ({
    kind: 'answer',
    text: '{"instruction":"q","output":"a"}',
  });
  private readonly stalled = new Set<ServerResponse>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<FaultServer> {
    let instance: FaultServer | undefined;
    const server = createServer((request, response) => void instance!.handle(request, response));
    instance = new FaultServer(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    for await (const part of request) body += part;
    const n = this.requests++;
    this.authorizations.push(String(request.headers.authorization ?? ''));
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const parsed = JSON.parse(body) as { model: string; messages: { content: string }[] };
    const behaviour = this.behave(
      n,
      parsed.messages.map((message) => message.content).join('\n'),
      parsed.model,
    );
    this.inFlight--;
    const ollama = request.url === '/api/chat';
    if (behaviour.kind === 'stall') {
      this.stalled.add(response);
      return;
    }
    if (behaviour.kind === 'status') {
      response.writeHead(behaviour.status, {
        'content-type': 'application/json',
        ...(behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {}),
      });
      response.end(
        JSON.stringify(
          ollama
            ? { error: `injected ${behaviour.status}` }
            : { error: { message: `injected ${behaviour.status}`, type: 'x' } },
        ),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    if (behaviour.kind === 'garbage') return void response.end('{"choices": [');
    const text = behaviour.kind === 'answer' ? behaviour.text : '';
    const payload = ollama
      ? {
          model: 'm',
          created_at: new Date().toISOString(),
          message: { role: 'assistant', content: text },
          done: true,
          prompt_eval_count: 3,
          eval_count: 5,
        }
      : {
          id: 'x',
          object: 'chat.completion',
          created: 0,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
          // OpenRouter's extra field: the request's cost in credits.
          usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8, cost: 0.00025 },
        };
    const json = JSON.stringify(payload);
    if (behaviour.kind === 'truncated') {
      response.write(json.slice(0, json.length / 2));
      response.destroy();
      return;
    }
    response.end(json);
  }

  async close(): Promise<void> {
    for (const response of this.stalled) response.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
