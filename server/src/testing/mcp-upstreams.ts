import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createServer as createEverything } from '@modelcontextprotocol/server-everything/dist/server/index.js';

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
