import type { IncomingMessage, ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startMcpUpstream, type McpUpstream } from '../../../testing/mcp-upstreams';
import { discover, ping, UPSTREAM_POLICY_DEFAULTS, type UpstreamPolicy, type UpstreamTarget } from './index';

const policy: UpstreamPolicy = { ...UPSTREAM_POLICY_DEFAULTS, allowPrivate: true };
const TOKEN = 'Tok-3f9a1c77e2b4SECRET';
const API_KEY = 'key-81d0c2a9PRIVATE';

/** Every form a secret could take in an answer: as is, lowercased (host names), URL-encoded. */
function expectNoSecret(text: string, secret: string) {
  for (const form of [secret, secret.toLowerCase(), encodeURIComponent(secret)]) expect(text).not.toContain(form);
}

/** Echoes what it was sent, credentials included, as careless servers do. */
function echo(req: IncomingMessage, res: ServerResponse, status: number, extra: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'text/plain', ...extra }).end(`you sent authorization=${req.headers.authorization ?? ''} x-api-key=${req.headers['x-api-key'] ?? ''}`);
}

function smallServer() {
  const server = new McpServer({ name: 'guarded', version: '1.0.0' });
  server.registerTool('whoami', { description: 'answers' }, () => ({ content: [{ type: 'text', text: 'you' }] }));
  return { server };
}

describe('upstream credentials', () => {
  let upstream: McpUpstream;
  beforeAll(async () => {
    upstream = await startMcpUpstream(smallServer, {
      intercept(req, res) {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const sent = String(req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^Bearer /, '') ?? '');
        if (path === '/moved') {
          echo(req, res, 307, { location: `http://${sent}.example.test/next?token=${encodeURIComponent(sent)}` });
          return true;
        }
        if (path === '/rpc-error') {
          const message = `cannot use ${req.headers.authorization ?? req.headers['x-api-key']}`;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: 0, error: { code: -32603, message } }));
          return true;
        }
        if (path !== '/mcp') {
          echo(req, res, 404);
          return true;
        }
        const bearer = req.headers.authorization === `Bearer ${TOKEN}`;
        const key = req.headers['x-api-key'] === API_KEY;
        if (bearer || key) return false;
        echo(req, res, 401, { 'www-authenticate': 'Bearer realm="guarded"' });
        return true;
      },
    });
  });
  afterAll(async () => {
    await upstream.close();
  });

  const at = (path: string, auth: UpstreamTarget['auth']): UpstreamTarget => ({ url: `${upstream.origin}${path}`, auth });

  it('sends the bearer token: discovery and ping work with the right one', async () => {
    const found = await discover(at('/mcp', { kind: 'bearer', token: TOKEN }), policy);
    if (!found.ok) throw new Error(found.error);
    expect(found.catalogue.tools.map((t) => t.name)).toEqual(['whoami']);
    expect(await ping(at('/mcp', { kind: 'bearer', token: TOKEN }), policy)).toMatchObject({ ok: true });
  });

  it('sends a header credential under its own name', async () => {
    const found = await discover(at('/mcp', { kind: 'header', name: 'X-Api-Key', value: API_KEY }), policy);
    expect(found.ok).toBe(true);
  });

  it('says the server needs credentials when none were given', async () => {
    const result = await discover(at('/mcp', { kind: 'none' }), policy);
    expect(result).toEqual({ ok: false, error: "the server answered 401: it needs credentials (check the server's authentication)" });
  });

  it('says the credentials were refused when a wrong one was given, and never repeats it', async () => {
    const wrong = 'Wrong-6c1e0d94TOKEN';
    for (const result of [await discover(at('/mcp', { kind: 'bearer', token: wrong }), policy), await ping(at('/mcp', { kind: 'bearer', token: wrong }), policy)]) {
      expect(result).toEqual({ ok: false, error: "the server answered 401: it refused MREG's credentials (check the server's authentication)" });
    }
    const header = await discover(at('/mcp', { kind: 'header', name: 'X-Api-Key', value: 'nope-value' }), policy);
    expect(header).toEqual({ ok: false, error: "the server answered 401: it refused MREG's credentials (check the server's authentication)" });
  });

  it('keeps the token out of every error, even when the URL is wrong and the server echoes it back', async () => {
    const bearer = { kind: 'bearer', token: TOKEN } as const;
    const wrongPath = await discover(at('/nope', bearer), policy);
    expect(wrongPath).toEqual({ ok: false, error: 'the server answered 404: nothing at this URL (check its path, e.g. /mcp)' });

    const rpcError = await discover(at('/rpc-error', bearer), policy);
    expect(rpcError.ok).toBe(false);
    if (rpcError.ok) return;
    expect(rpcError.error).toBe('the server answered initialize with error -32603: "cannot use Bearer [redacted]"');

    const moved = await ping(at('/moved', bearer), policy);
    expect(moved.ok).toBe(false);
    if (moved.ok) return;
    expect(moved.error).toMatch(/^the server answered 307 redirecting to http:\/\/\[redacted\]\.example\.test, another origin: MREG does not follow redirects off http:\/\/127\.0\.0\.1:\d+/);

    const header = { kind: 'header', name: 'X-Api-Key', value: API_KEY } as const;
    const results = [wrongPath, rpcError, moved, await discover(at('/rpc-error', header), policy), await discover(at('/moved', header), policy)];
    for (const result of results) {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expectNoSecret(result.error, TOKEN);
        expectNoSecret(result.error, API_KEY);
      }
    }
  });

  it('keeps the token out of what the server echoes inside MCP answers (a page cursor, an item name), and prints nothing', async () => {
    const echoing = await startMcpUpstream(() => {
      const server = new Server({ name: 'echoing', version: '1' }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => {
        const sent = String(extra.requestInfo?.headers.authorization ?? '');
        return { tools: [{ name: `bad ${sent}` }], nextCursor: `cursor ${sent}` } as never;
      });
      return { server };
    });
    const printed: string[] = [];
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (printed.push(String(chunk)), true)),
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (printed.push(String(chunk)), true)),
    ];
    try {
      const result = await discover({ url: echoing.url, auth: { kind: 'bearer', token: TOKEN } }, policy);
      expect(result).toEqual({ ok: false, error: 'the server sent the same tools/list page twice (cursor "cursor Bearer [redacted]"): it would never end' });
      const once = await discover({ url: echoing.url, auth: { kind: 'bearer', token: TOKEN } }, { ...policy, maxCatalogueItems: 1 });
      expect(once.ok).toBe(false);
      if (!once.ok) expectNoSecret(once.error, TOKEN);
    } finally {
      for (const spy of spies) spy.mockRestore();
      await echoing.close();
    }
    for (const line of printed) expectNoSecret(line, TOKEN);
  });
});
