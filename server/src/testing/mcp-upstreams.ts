import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createServer as createEverything } from '@modelcontextprotocol/server-everything/dist/server/index.js';
import { z } from 'zod';

/**
 * Real MCP servers (and misbehaving HTTP servers) on 127.0.0.1, on a free port, for tests of MREG
 * as an MCP client. Each test starts its own and closes it; nothing listens beyond loopback.
 */
export interface LoopbackServer {
  server: HttpServer;
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  close(): Promise<void>;
}

/** `handler` on 127.0.0.1, port chosen by the system; close() also ends open connections. */
export async function listenLoopback(handler: RequestListener): Promise<LoopbackServer> {
  const sockets = new Set<Socket>();
  const server = createHttpServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    server,
    port,
    origin: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface McpSession {
  server: McpServer | Server;
  transport: StreamableHTTPServerTransport;
}

export interface McpUpstream extends LoopbackServer {
  /** The MCP endpoint: <origin>/mcp */
  url: string;
  /** Open sessions by id. */
  sessions: Map<string, McpSession>;
  /** Sessions ever initialized, including closed ones. */
  initialized: number;
}

export interface McpUpstreamOptions {
  /** Runs first; answers the request itself (and returns true) to keep it from the MCP server, e.g. a 401. */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

/**
 * An MCP server per session (what `build` makes) behind the SDK's StreamableHTTPServerTransport at
 * /mcp, in session mode, as server-everything's own HTTP entry point does it.
 */
export async function startMcpUpstream(build: () => { server: McpServer | Server; cleanup?: (sessionId: string) => void }, options: McpUpstreamOptions = {}): Promise<McpUpstream> {
  const sessions = new Map<string, McpSession>();
  const cleanups: Array<() => void> = [];
  let initialized = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (options.intercept && (await options.intercept(req, res))) return;
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
        return;
      }
      await session.transport.handleRequest(req, res);
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('no session');
      return;
    }
    const { server, cleanup } = build();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        initialized += 1;
        upstream.initialized = initialized;
        sessions.set(id, { server, transport });
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
        cleanup?.(id);
      },
    });
    if (cleanup) cleanups.push(() => cleanup(transport.sessionId ?? ''));
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };
  const loopback = await listenLoopback((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  const upstream: McpUpstream = {
    ...loopback,
    url: `${loopback.origin}/mcp`,
    sessions,
    initialized,
    async close() {
      for (const { server } of sessions.values()) await server.close().catch(() => undefined);
      for (const cleanup of cleanups) cleanup();
      sessions.clear();
      await loopback.close();
    },
  };
  return upstream;
}

/** server-everything (the MCP reference server), in process, on loopback. */
export function startEverything(options: McpUpstreamOptions = {}): Promise<McpUpstream> {
  return startMcpUpstream(() => createEverything(), options);
}

// The registry tests' upstreams (branch i18-core): a request log, a bearer token, stop and start again.

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
  return hostUpstream(createEverything, options);
}

export interface ToyUpstream extends TestUpstream {
  /** Adds a tool to every session's server: connected clients get notifications/tools/list_changed. */
  addTool(name: string): void;
  toolNames(): string[];
  /** With `callTools`: the `slow` calls that saw their cancellation (their `label`). */
  cancelled: string[];
}

export interface ToyOptions {
  token?: string;
  /**
   * Also `slow` ({label, steps, delayMs}: a progress notification per step, watching for
   * cancellation) and `big` ({bytes}: a text that long), for the gateway's tests.
   */
  callTools?: boolean;
}

/** A small server of the tests' own: `echo`, the call tools when asked, and the tools added later. */
export async function startToyServer(options: ToyOptions = {}): Promise<ToyUpstream> {
  const cancelled: string[] = [];
  const callTools = (server: McpServer) => {
    server.registerTool(
      'slow',
      { description: 'Counts steps slowly, reporting progress', inputSchema: { label: z.string(), steps: z.number().int(), delayMs: z.number().int() } },
      async ({ label, steps, delayMs }, extra) => {
        for (let step = 1; step <= steps; step++) {
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          if (extra.signal.aborted) {
            cancelled.push(label);
            return { content: [{ type: 'text', text: 'cancelled' }], isError: true };
          }
          const progressToken = extra._meta?.progressToken;
          if (progressToken !== undefined) {
            await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: step, total: steps, message: `step ${step}` } });
          }
        }
        return { content: [{ type: 'text', text: `${label}: ${steps} steps` }] };
      },
    );
    server.registerTool('big', { description: 'Answers a long text', inputSchema: { bytes: z.number().int() } }, ({ bytes }) => ({
      content: [{ type: 'text', text: 'x'.repeat(bytes) }],
    }));
  };
  const names = ['echo'];
  const servers = new Set<McpServer>();
  const register = (server: McpServer, name: string) =>
    server.registerTool(name, { title: `Tool ${name}`, description: `Says back what it is given (${name})`, inputSchema: { text: z.string() } }, ({ text }) => ({
      content: [{ type: 'text', text }],
    }));
  const upstream = await hostUpstream(() => {
    const server = new McpServer({ name: 'toy', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
    for (const name of names) register(server, name);
    if (options.callTools) callTools(server);
    servers.add(server);
    return { server, cleanup: () => servers.delete(server) };
  }, options);
  return {
    ...upstream,
    cancelled,
    addTool(name) {
      names.push(name);
      for (const server of servers) register(server, name);
    },
    toolNames: () => [...names],
  };
}
