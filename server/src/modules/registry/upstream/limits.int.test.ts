import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { listenLoopback, startEverything, startMcpUpstream } from '../../../testing/mcp-upstreams';
import { freePort } from '../../../testing/processes';
import { discover, ping, UPSTREAM_POLICY_DEFAULTS, type UpstreamPolicy } from './index';

const policy: UpstreamPolicy = { ...UPSTREAM_POLICY_DEFAULTS, allowPrivate: true };
const none = { kind: 'none' } as const;
const MiB = 1024 * 1024;

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});
async function started<T extends { close(): Promise<void> }>(server: Promise<T>): Promise<T> {
  const s = await server;
  stops.push(() => s.close());
  return s;
}

/** The longest gap between 10 ms ticks while `work` runs: how long MREG's event loop was held. */
async function longestStall<T>(work: Promise<T>): Promise<{ value: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 10);
  try {
    return { value: await work, stallMs };
  } finally {
    clearInterval(tick);
  }
}

/** Writes `total` bytes of `chunk`s with backpressure; resolves how many the client took before it went away. */
function stream(res: ServerResponse, chunk: Buffer, total: number): Promise<number> {
  return new Promise((resolve) => {
    let written = 0;
    let gone = false;
    res.on('close', () => {
      gone = true;
      resolve(written);
    });
    const pump = () => {
      while (!gone && written < total) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!gone) res.end();
    };
    pump();
  });
}

describe('time bounds', () => {
  it('gives up on an upstream that accepts and never answers, within the request timeout, the event loop free', async () => {
    const hung = await started(listenLoopback(() => undefined));
    const begun = performance.now();
    const { value, stallMs } = await longestStall(discover({ url: `${hung.origin}/mcp`, auth: none }, { ...policy, requestTimeoutMs: 500 }));
    const tookMs = performance.now() - begun;
    expect(value).toEqual({ ok: false, error: 'no answer within 500 ms' });
    expect(tookMs).toBeGreaterThanOrEqual(450);
    expect(tookMs).toBeLessThan(2500);
    expect(stallMs).toBeLessThan(300);
    // MREG hung up: no connection of its own stays open.
    await expect.poll(() => new Promise((resolve) => hung.server.getConnections((_, n) => resolve(n))), { timeout: 2000 }).toBe(0);
  });

  it('gives up on a TCP peer that never speaks HTTP', async () => {
    const sockets = new Set<Socket>();
    const tcp = createTcpServer((socket) => sockets.add(socket)).listen(0, '127.0.0.1');
    await new Promise((resolve) => tcp.once('listening', resolve));
    stops.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => tcp.close(resolve));
    });
    const port = (tcp.address() as { port: number }).port;
    expect(await ping({ url: `http://127.0.0.1:${port}/mcp`, auth: none }, { ...policy, requestTimeoutMs: 300 })).toEqual({ ok: false, error: 'no answer within 300 ms' });
  });

  it('bounds each list request, and the whole discovery', async () => {
    const upstream = await started(
      startMcpUpstream(() => {
        const server = new McpServer({ name: 'slow', version: '1' });
        server.registerTool('late', { description: 'slow to list' }, () => ({ content: [] }));
        return { server };
      }, {
        intercept: async (req) => {
          // Every POST after initialize waits 400 ms before the server sees it.
          if (req.method === 'POST' && req.headers['mcp-session-id']) await new Promise((r) => setTimeout(r, 400));
          return false;
        },
      }),
    );
    const target = { url: upstream.url, auth: none };
    expect(await discover(target, { ...policy, requestTimeoutMs: 300 })).toEqual({ ok: false, error: 'no answer within 300 ms to tools/list' });
    expect(await discover(target, { ...policy, requestTimeoutMs: 5000, discoverTimeoutMs: 200 })).toEqual({
      ok: false,
      error: 'discovery took longer than 200 ms, MREG\'s limit',
    });
  });
});

describe('size bounds', () => {
  async function huge(contentType: string, options: { declare?: boolean } = {}) {
    const written: number[] = [];
    const server = await started(
      listenLoopback((req, res) => {
        req.resume();
        const total = 20 * MiB;
        res.writeHead(200, { 'content-type': contentType, ...(options.declare ? { 'content-length': String(total) } : {}) });
        const filler = Buffer.alloc(64 * 1024, 'a');
        const start = contentType === 'text/event-stream' ? 'data: {"jsonrpc":"2.0","id":0,"result":{"x":"' : '{"jsonrpc":"2.0","id":0,"result":{"x":"';
        res.write(start);
        void stream(res, filler, total).then((n) => written.push(n));
      }),
    );
    return { server, written };
  }

  it.each([
    ['a JSON answer', 'application/json'],
    ['an event stream', 'text/event-stream'],
  ])('cuts %s of 20 MB at maxResponseBytes, reading little more', async (_, contentType) => {
    const { server, written } = await huge(contentType);
    const before = process.memoryUsage();
    const result = await discover({ url: `${server.origin}/mcp`, auth: none }, { ...policy, maxResponseBytes: MiB });
    const after = process.memoryUsage();
    expect(result).toEqual({ ok: false, error: 'the answer was larger than 1 MiB' });
    await expect.poll(() => written.length, { timeout: 5000 }).toBe(1);
    // What the upstream got out before MREG hung up: the limit, plus what socket buffers hold.
    expect(written[0]).toBeLessThan(6 * MiB);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(8 * MiB);
  });

  it('refuses a declared Content-Length above the limit without reading the body', async () => {
    const { server, written } = await huge('application/json', { declare: true });
    const result = await ping({ url: `${server.origin}/mcp`, auth: none }, { ...policy, maxResponseBytes: 4 * MiB });
    expect(result).toEqual({ ok: false, error: 'the answer was larger than 4 MiB' });
    await expect.poll(() => written.length, { timeout: 5000 }).toBe(1);
    expect(written[0]).toBeLessThan(6 * MiB);
  });
});

describe('redirects', () => {
  it('refuses a redirect to another origin, which never hears from MREG', async () => {
    const heard: string[] = [];
    const other = await started(listenLoopback((req, res) => (heard.push(req.url ?? ''), res.writeHead(500).end())));
    const mover = await started(listenLoopback((req, res) => res.writeHead(307, { location: `${other.origin}/mcp` }).end()));
    const result = await discover({ url: `${mover.origin}/mcp`, auth: { kind: 'bearer', token: 'tok-redirect-1' } }, policy);
    expect(result).toEqual({
      ok: false,
      error: `the server answered 307 redirecting to ${other.origin}, another origin: MREG does not follow redirects off ${mover.origin} (if the server moved, save its new URL)`,
    });
    expect(heard).toEqual([]);
  });

  it('follows a redirect within the origin, credential and all', async () => {
    const everything = await started(
      startEverything({
        intercept: (req, res) => {
          if (req.url === '/old') return (res.writeHead(308, { location: '/mcp' }).end(), true);
          return false;
        },
      }),
    );
    const result = await discover({ url: `${everything.origin}/old`, auth: none }, policy);
    expect(result.ok).toBe(true);
  });
});

describe('concurrency per upstream origin', () => {
  it('keeps at most maxConcurrentPerUpstream requests in flight to one origin', async () => {
    let inFlight = 0;
    let most = 0;
    const upstream = await started(
      startEverything({
        intercept: async (req, res) => {
          if (req.method === 'GET') return false;
          inFlight += 1;
          most = Math.max(most, inFlight);
          res.on('close', () => (inFlight -= 1));
          await new Promise((r) => setTimeout(r, 50));
          return false;
        },
      }),
    );
    const target = { url: upstream.url, auth: none };
    const pings = await Promise.all(Array.from({ length: 8 }, () => ping(target, { ...policy, maxConcurrentPerUpstream: 2 })));
    expect(pings.every((p) => p.ok)).toBe(true);
    expect(most).toBe(2);

    most = 0;
    await Promise.all(Array.from({ length: 8 }, () => ping(target, { ...policy, maxConcurrentPerUpstream: 8 })));
    expect(most).toBeGreaterThan(2);
  });

  it('does not let answer streams left open by the server hold their places', async () => {
    // A minimal MCP server answering each request on an event stream it never closes (a server SHOULD close it).
    const upstream = await started(
      listenLoopback((req, res) => {
        let text = '';
        req.on('data', (c) => (text += c)).on('end', () => {
          if (req.method !== 'POST') return void res.writeHead(405).end();
          const message = JSON.parse(text) as { id?: number; method: string };
          if (message.id === undefined) return void res.writeHead(202).end();
          const result =
            message.method === 'initialize'
              ? { protocolVersion: '2025-06-18', capabilities: { tools: {}, prompts: {} }, serverInfo: { name: 'open-streams', version: '1' } }
              : message.method === 'tools/list'
                ? { tools: [{ name: 'only', inputSchema: { type: 'object' } }] }
                : message.method === 'prompts/list'
                  ? { prompts: [] }
                  : {};
          res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 's1' });
          res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: message.id, result })}\n\n`);
        });
      }),
    );
    const result = await discover({ url: `${upstream.origin}/mcp`, auth: none }, { ...policy, maxConcurrentPerUpstream: 1, requestTimeoutMs: 2000 });
    if (!result.ok) throw new Error(result.error);
    expect(result.catalogue.tools.map((t) => t.name)).toEqual(['only']);
    // Not held up by a stream waiting for its body timeout.
    expect(result.latencyMs).toBeLessThan(1000);
  });
});

describe('connection problems, in words', () => {
  it('names a refused connection with its address', async () => {
    const port = await freePort();
    expect(await ping({ url: `http://127.0.0.1:${port}/mcp`, auth: none }, policy)).toEqual({ ok: false, error: `connection refused at 127.0.0.1:${port}` });
  });

  it('says when the URL is a web page, not an MCP endpoint', async () => {
    const web = await started(listenLoopback((req, res) => (req.resume(), res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'))));
    expect(await discover({ url: `${web.origin}/`, auth: none }, policy)).toEqual({
      ok: false,
      error: 'the server answered with "text/html" content, not JSON or an event stream (is this an MCP Streamable HTTP URL?)',
    });
  });

  it('names TLS problems: a certificate not trusted, https to a plain http server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mreg-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=upstream.test', '-addext', 'subjectAltName=DNS:upstream.test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      const tls = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.writeHead(500).end());
      await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
      stops.push(() => new Promise((resolve) => tls.close(() => resolve())));
      const port = (tls.address() as { port: number }).port;
      const lookup = async () => [{ address: '127.0.0.1', family: 4 as const }];
      expect(await ping({ url: `https://upstream.test:${port}/mcp`, auth: none }, { ...policy, lookup })).toEqual({
        ok: false,
        error: 'the TLS certificate of upstream.test was not accepted (DEPTH_ZERO_SELF_SIGNED_CERT)',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const plain = await started(listenLoopback((req, res) => (req.resume(), res.writeHead(500).end())));
    const result = await ping({ url: `https://127.0.0.1:${plain.port}/mcp`, auth: none }, policy);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(new RegExp(`^the TLS handshake with 127\\.0\\.0\\.1:${plain.port} failed \\(\\w+; is it an https server\\?\\)$`));
  });
});
