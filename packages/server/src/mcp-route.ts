import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createMcpServer, type McpToolbox } from './mcp-tools.js';

/**
 * Mounts MCP's streamable HTTP transport at `/mcp`, stateless: each POST gets a fresh MCP server bound to
 * the caller (so its key's model allowlist applies to the tools), answered as JSON or an SSE stream as the
 * client accepts. GET and DELETE (server-initiated streams, sessions) are 405, as the spec allows.
 */
export function mountMcp(app: FastifyInstance, toolboxFor: (request: FastifyRequest) => McpToolbox): void {
  app.post('/mcp', async (request, reply) => {
    const toolbox = toolboxFor(request); // authenticates before anything else (401 as an API error)
    const server = createMcpServer(toolbox);
    const transport = new StreamableHTTPServerTransport({}); // no session id generator: stateless;
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request.raw, reply.raw, request.body);
  });
  const notAllowed = {
    jsonrpc: '2.0',
    error: { code: -32000, message: 'this server is stateless: POST /mcp only' },
    id: null,
  };
  app.get('/mcp', async (_request, reply) => reply.code(405).header('allow', 'POST').send(notAllowed));
  app.delete('/mcp', async (_request, reply) => reply.code(405).header('allow', 'POST').send(notAllowed));
}
