import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddingDimensionError, EmbeddingRequestError } from './errors.js';
import { HashingEmbedder } from './hashing-embedder.js';
import { OllamaEmbedder } from './ollama-embedder.js';
import { OpenAiEmbedder } from './openai-embedder.js';
import { EmbeddingServer } from './testing/embedding-server.js';

let server: EmbeddingServer;
beforeAll(async () => {
  server = await EmbeddingServer.start();
});
afterAll(() => server.close());
beforeEach(() => {
  server.faults = [];
  server.requests.length = 0;
});
const fast = { baseDelayMs: 5 };
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);

describe('HashingEmbedder', () => {
  it('gives unit vectors; texts sharing words are closer than texts that share none', async () => {
    const embedder = new HashingEmbedder(256);
    const [a, b, c] = await embedder.embed([
      'the white whale',
      'a white whale surfaced',
      'quarterly tax forms',
    ]);
    expect(cosine(a!, a!)).toBeCloseTo(1, 6);
    expect(cosine(a!, b!)).toBeGreaterThan(0.3);
    expect(Math.abs(cosine(a!, c!))).toBeLessThan(0.2);
    expect(embedder.id).toBe('hashing-v1-256');
    expect((await embedder.embed(['']))[0]!.every((value) => value === 0)).toBe(true);
    expect(() => new HashingEmbedder(4)).toThrow(RangeError);
  });
});

describe.each([
  [
    'ollama',
    () => new OllamaEmbedder({ model: 'nomic-embed-text', host: server.url, retry: fast }),
    '/api/embed',
  ],
  [
    'openai',
    () =>
      new OpenAiEmbedder({
        model: 'text-embedding-3-small',
        baseURL: `${server.url}/v1`,
        apiKey: 'sk-test-SECRET',
        retry: fast,
      }),
    '/v1/embeddings',
  ],
] as const)('%s embedder against a real HTTP server on 127.0.0.1', (_name, make, path) => {
  it('embeds a batch in one request, in order, and learns the dimension', async () => {
    const embedder = make();
    expect(embedder.dimension).toBeUndefined();
    const vectors = await embedder.embed(['one', 'two', 'three']);
    expect(vectors.map((vector) => vector.length)).toEqual([32, 32, 32]);
    expect([...vectors[1]!]).toEqual([...(await new HashingEmbedder(32).embed(['two']))[0]!]); // order kept
    expect(embedder.dimension).toBe(32);
    expect(server.requests).toEqual([expect.objectContaining({ path, inputs: 3 })]);
  });

  it('retries 429 (after Retry-After) and 500, then succeeds', async () => {
    server.faults = [
      { kind: 'status', status: 429, retryAfter: '0' },
      { kind: 'status', status: 500 },
    ];
    expect((await make().embed(['x'])).length).toBe(1);
    expect(server.requests.length).toBe(3);
  });

  it('gives up after 3 attempts with the status; 401 fails at once; the key is in no message', async () => {
    server.faults = [1, 2, 3].map(() => ({ kind: 'status', status: 503 }) as const);
    const error = await make()
      .embed(['x'])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EmbeddingRequestError);
    expect(error).toMatchObject({ status: 503, attempts: 3 });
    server.requests.length = 0;
    server.faults = [{ kind: 'status', status: 401 }];
    const unauthorized = await make()
      .embed(['x'])
      .catch((caught: unknown) => caught);
    expect(unauthorized).toMatchObject({ status: 401, attempts: 1 });
    expect(server.requests.length).toBe(1);
    expect(
      `${(error as Error).message} ${(unauthorized as Error).message} ${(unauthorized as Error).stack}`,
    ).not.toContain('SECRET');
  });

  it('refuses malformed answers: garbage JSON, a missing vector, a vector of another length', async () => {
    server.faults = [{ kind: 'garbage' }, { kind: 'garbage' }, { kind: 'garbage' }];
    await expect(make().embed(['a', 'b'])).rejects.toThrow(EmbeddingRequestError);
    server.faults = [{ kind: 'wrong-count' }];
    await expect(make().embed(['a', 'b'])).rejects.toThrow(/expected 2 vectors, got 1/);
    server.faults = [{ kind: 'wrong-dimension' }];
    await expect(make().embed(['a', 'b'])).rejects.toThrow(EmbeddingDimensionError);
  });
});
