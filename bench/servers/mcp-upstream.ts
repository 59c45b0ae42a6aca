/**
 * The upstream of the gateway benchmarks: an MCP server (the official SDK's McpServer) behind its
 * Streamable HTTP transport in session mode, as server-everything serves it, with `echo` (the
 * trivial tool called) and BENCH_TOOLS more tools (for the size of a catalogue). Prints
 * `LISTENING <url>` once it listens on a free loopback port.
 */
import { randomUUID } from 'node:crypto';
import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const extraTools = Number(process.env.BENCH_TOOLS ?? 0);
const sessions = new Map<string, StreamableHTTPServerTransport>();

function build(): McpServer {
  const server = new McpServer({ name: 'bench-upstream', version: '1.0.0' });
  server.registerTool('echo', { description: 'Says back what it is given', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  for (let i = 0; i < extraTools; i++) {
    server.registerTool(
      `tool-${i}`,
      { title: `Tool number ${i}`, description: `A tool of the benchmark's catalogue, number ${i}, which adds two numbers`, inputSchema: { a: z.number(), b: z.number() } },
      ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
    );
  }
  return server;
}

const app = express();
app.use(express.json({ limit: '1mb' }));
app.all('/mcp', async (req, res) => {
  const id = req.headers['mcp-session-id'];
  const known = typeof id === 'string' ? sessions.get(id) : undefined;
  if (known) return known.handleRequest(req, res, req.body);
  if (req.method !== 'POST') return void res.status(400).json({ error: 'No session' });
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sessionId) => void sessions.set(sessionId, transport) });
  transport.onclose = () => {
    if (transport.sessionId) sessions.delete(transport.sessionId);
  };
  await build().connect(transport);
  await transport.handleRequest(req, res, req.body);
});
const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`LISTENING http://127.0.0.1:${port}/mcp`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
