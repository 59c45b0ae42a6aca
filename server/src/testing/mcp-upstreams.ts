import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/**
 * Real MCP servers for tests, on 127.0.0.1 (never the network): the reference "everything" server
 * and a small one of the tests' own, each behind the SDK's Streamable HTTP transport in session
 * mode at /mcp, optionally requiring a bearer token. `stop()` closes the port and `start()` opens
 * the same one again, for health tests.
 */

export interface TestUpstream {
  /** The Streamable HTTP URL (http://127.0.0.1:<port>/mcp). */
  url: string;
  /** Requests it has received, with the Authorization header each carried. */
  requests: { method: string; authorization: string | undefined }[];
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

type Factory = () => { server: McpServer; cleanup?: () => void };

async function hostUpstream(factory: Factory, options: { token?: string; port?: number } = {}): Promise<TestUpstream> {
  const requests: TestUpstream['requests'] = [];
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; cleanup?: () => void }>();
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.use((req, res, next) => {
    requests.push({ method: req.body?.method ?? req.method, authorization: req.headers.authorization });
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      res.status(401).json({ error: 'invalid_token' });
      return;
    }
    next();
  });
  app.all('/mcp', async (req, res) => {
    const id = req.headers['mcp-session-id'];
    const known = typeof id === 'string' ? sessions.get(id) : undefined;
    if (known) {
      await known.transport.handleRequest(req, res, req.body);
      return;
    }
    if (req.method !== 'POST') {
      res.status(400).json({ error: 'No session' });
      return;
    }
    const { server, cleanup } = factory();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => void sessions.set(sessionId, { transport, cleanup }),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      cleanup?.();
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });

  let http: HttpServer | undefined;
  let port = options.port ?? 0;
  const start = async () => {
    http = createHttpServer(app);
    await new Promise<void>((resolve, reject) => {
      http!.once('error', reject);
      http!.listen(port, '127.0.0.1', () => resolve());
    });
    port = (http.address() as AddressInfo).port;
  };
  const stop = async () => {
    for (const { transport } of sessions.values()) await transport.close().catch(() => {});
    sessions.clear();
    if (!http) return;
    http.closeAllConnections();
    await new Promise<void>((resolve) => http!.close(() => resolve()));
    http = undefined;
  };
  await start();
  return { url: `http://127.0.0.1:${port}/mcp`, requests, start, stop, close: stop };
}

/** @modelcontextprotocol/server-everything, the reference server (tools, paginated resources, templates, prompts). */
export async function startEverythingServer(options: { token?: string } = {}): Promise<TestUpstream> {
  const { createServer } = await import('@modelcontextprotocol/server-everything/dist/server/index.js');
  return hostUpstream(createServer, options);
}

export interface ToyUpstream extends TestUpstream {
  /** Adds a tool to every session's server: connected clients get notifications/tools/list_changed. */
  addTool(name: string): void;
  toolNames(): string[];
}

/** A small server of the tests' own: `echo` and the tools added later. */
export async function startToyServer(options: { token?: string } = {}): Promise<ToyUpstream> {
  const names = ['echo'];
  const servers = new Set<McpServer>();
  const register = (server: McpServer, name: string) =>
    server.registerTool(name, { title: `Tool ${name}`, description: `Says back what it is given (${name})`, inputSchema: { text: z.string() } }, ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
  const upstream = await hostUpstream(() => {
    const server = new McpServer({ name: 'toy', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
    for (const name of names) register(server, name);
    servers.add(server);
    return { server, cleanup: () => servers.delete(server) };
  }, options);
  return {
    ...upstream,
    addTool(name) {
      names.push(name);
      for (const server of servers) register(server, name);
    },
    toolNames: () => [...names],
  };
}
