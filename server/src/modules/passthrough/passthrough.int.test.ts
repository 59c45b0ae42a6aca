import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ToolListChangedNotificationSchema, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ServerSaved } from '@mreg/shared';
import { DEMO_TENANTS } from '../../identity/demo-directory';
import { mintApiKey } from '../../testing/api-keys';
import { databaseMode, startTestApp, testRedisUrl, type TestApp } from '../../testing/harness';
import { listenLoopback, startEverything, startMcpUpstream, type LoopbackServer, type McpUpstream } from '../../testing/mcp-upstreams';
import { signInAs, trpcMutation } from '../../testing/sign-in';

/**
 * /mcp/<slug> through the real app over HTTP, with the MCP SDK's own client, against real MCP
 * servers on 127.0.0.1: what goes through (tools, progress, the GET stream, sessions), what the
 * upstream sees (never the caller's credential), and what MREG refuses before anything leaves.
 */

const [, FABRIKAM] = DEMO_TENANTS;
const UPSTREAM_TOKEN = 'upstream-secret-token-4b1d9e7c2a';
const METRICS_TOKEN = 'metrics-token-for-the-passthrough-test-0123456789';
const MiB = 1024 * 1024;
const cacheMode = testRedisUrl ? 'Redis' : 'in-process cache';

interface Seen {
  method: string | undefined;
  headers: IncomingHttpHeaders;
}

/** A small server of the tests' own: echo, an answer of any size, and a tool that changes its list later (sent on the GET stream). */
function toyServer() {
  const server = new McpServer({ name: 'toy', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
  server.registerTool('echo', { description: 'Says back what it is given', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  server.registerTool('big', { description: 'Answers that many bytes of text', inputSchema: { bytes: z.number() } }, ({ bytes }) => ({
    content: [{ type: 'text', text: 'x'.repeat(bytes) }],
  }));
  server.registerTool('grow', { description: 'Adds a tool a moment later (tools/list_changed, on the GET stream)' }, () => {
    setTimeout(() => server.registerTool(`added-${randomUUID().slice(0, 8)}`, { description: 'added' }, () => ({ content: [] })), 50);
    return { content: [{ type: 'text', text: 'growing' }] };
  });
  return { server };
}

/** The toy in stateless, JSON-answer mode (no sessions, no streams), as some servers are. */
async function startJsonToy(): Promise<LoopbackServer> {
  return listenLoopback(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { server } = toyServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    const body = Buffer.concat(chunks).toString('utf8');
    await transport.handleRequest(req, res, body ? JSON.parse(body) : undefined);
    res.on('close', () => void server.close());
  });
}

/** Records what reaches an upstream; `token` set, it refuses any other Authorization with 401. */
function recorder(seen: Seen[], token?: string) {
  return {
    intercept: (req: IncomingMessage, res: ServerResponse) => {
      seen.push({ method: req.method, headers: req.headers });
      if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="upstream"' }).end('{"error":"invalid_token"}');
        return true;
      }
      return false;
    },
  };
}

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request with exactly these headers (Host included), as node:http sends them. */
function raw(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'POST', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

let app: TestApp;
let everything: McpUpstream;
let toy: McpUpstream;
let jsonToy: LoopbackServer;
const everythingSeen: Seen[] = [];
const toySeen: Seen[] = [];
/** Slugs by upstream: everything and toy in Contoso, toy again in Fabrikam. */
const slugs = { everything: 'everything', toy: 'toy', jsonToy: 'json-toy', fabrikamToy: 'fab-toy', stopped: 'stopped', disabled: 'off' };
/** API key secrets: ada (Contoso admin), uma (Contoso member), vic (Fabrikam viewer). */
const keys = { ada: '', uma: '', vic: '' };

async function register(email: string, tenantId: string | undefined, input: Record<string, unknown>): Promise<ServerSaved> {
  const { client } = await signInAs(app.url, email);
  if (tenantId) expect((await trpcMutation(client, app.url, 'auth.switchTenant', { tenantId })).status).toBe(200);
  const saved = await trpcMutation(client, app.url, 'registry.create', { name: String(input.slug), ...input });
  if (saved.status !== 200) throw new Error(`registry.create answered ${saved.status}: ${JSON.stringify(saved.body)}`);
  return saved.body.result!.data as ServerSaved;
}

const urlOf = (slug: string) => `${app.url}/mcp/${slug}`;

async function connect(secret: string, slug: string) {
  const client = new Client({ name: 'passthrough-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(urlOf(slug)), { requestInit: { headers: { authorization: `Bearer ${secret}` } } });
  await client.connect(transport);
  return { client, transport };
}

beforeAll(async () => {
  [everything, toy, jsonToy] = await Promise.all([
    startEverything(recorder(everythingSeen)),
    startMcpUpstream(toyServer, recorder(toySeen, UPSTREAM_TOKEN)),
    startJsonToy(),
  ]);
  app = await startTestApp({ env: { MREG_METRICS_TOKEN: METRICS_TOKEN, MREG_REGISTRY_HEALTH_INTERVAL: '3600' } });
  const stopped = await listenLoopback((_req, res) => res.end());
  await stopped.close();
  await register('ada@contoso.test', undefined, { slug: slugs.everything, url: everything.url });
  await register('ada@contoso.test', undefined, { slug: slugs.toy, url: toy.url, auth: { kind: 'bearer', token: UPSTREAM_TOKEN } });
  await register('ada@contoso.test', undefined, { slug: slugs.jsonToy, url: `${jsonToy.origin}/mcp` });
  await register('ada@contoso.test', undefined, { slug: slugs.stopped, url: `${stopped.origin}/mcp` });
  await register('ada@contoso.test', undefined, { slug: slugs.disabled, url: everything.url, enabled: false });
  await register('ada@contoso.test', FABRIKAM.id, { slug: slugs.fabrikamToy, url: toy.url, auth: { kind: 'bearer', token: UPSTREAM_TOKEN } });
  keys.ada = (await mintApiKey(app.url, 'ada@contoso.test')).secret;
  keys.uma = (await mintApiKey(app.url, 'uma@contoso.test')).secret;
  keys.vic = (await mintApiKey(app.url, 'vic@fabrikam.test')).secret;
});
afterAll(async () => {
  await app?.close();
  await Promise.all([everything?.close(), toy?.close(), jsonToy?.close()]);
});

describe(`/mcp/<slug> (${databaseMode}, ${cacheMode})`, () => {
  it('passes the everything server through to the SDK client: its tools listed and called, progress notifications on the way', async () => {
    const { client } = await connect(keys.ada, slugs.everything);
    try {
      expect(client.getServerVersion()?.name).toBe('mcp-servers/everything');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'trigger-long-running-operation']));
      const echoed = await client.callTool({ name: 'echo', arguments: { message: 'through MREG' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'Echo: through MREG' }]);

      const progress: Progress[] = [];
      const done = await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, {
        onprogress: (p) => progress.push(p),
      });
      expect(progress.map((p) => p.progress)).toEqual([1, 2, 3]);
      expect(done.content).toEqual([{ type: 'text', text: expect.stringContaining('completed') }]);
    } finally {
      await client.close();
    }
    // Both calls in the audit log, as passed through: never their arguments.
    await app.toolCalls.flush();
    const events = await app.db.orm.em
      .fork()
      .execute<{ tool: string; outcome: string; actor_kind: string; details: Record<string, unknown> }[]>(
        `select details->>'tool' as tool, outcome, actor_kind, details from audit_events where action = 'tool.called' and details->>'server' = ? order by id`,
        [slugs.everything],
      );
    expect(events.map((event) => [event.tool, event.outcome, event.actor_kind, event.details.via])).toEqual([
      ['echo', 'success', 'api_key', 'pass-through'],
      ['trigger-long-running-operation', 'success', 'api_key', 'pass-through'],
    ]);
    expect(JSON.stringify(events)).not.toContain('through MREG');
  });

  it('carries the GET event stream: a list change the server announces later reaches the client', async () => {
    const { client } = await connect(keys.ada, slugs.toy);
    try {
      const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
      await client.callTool({ name: 'grow' });
      await changed;
      expect(toySeen.some((s) => s.method === 'GET' && s.headers.accept?.includes('text/event-stream'))).toBe(true);
    } finally {
      await client.close();
    }
  });

  it("swaps credentials: the upstream gets the server's own, never the caller's key, cookie or forwarding headers", async () => {
    toySeen.length = 0;
    const { client } = await connect(keys.ada, slugs.toy);
    try {
      await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    } finally {
      await client.close();
    }
    // A request carrying everything a client might send along.
    const sent = await raw(urlOf(slugs.toy), {
      headers: { ...MCP_HEADERS, authorization: `Bearer ${keys.ada}`, cookie: 'mreg_session=abc', 'x-forwarded-for': '203.0.113.9', 'x-custom': '1' },
      body: INITIALIZE,
    });
    expect(sent.status).toBe(200);
    expect(toySeen.length).toBeGreaterThan(3);
    for (const { headers } of toySeen) {
      expect(headers.authorization).toBe(`Bearer ${UPSTREAM_TOKEN}`);
      expect(headers.cookie).toBeUndefined();
      expect(headers['x-forwarded-for']).toBeUndefined();
      expect(headers['x-custom']).toBeUndefined();
      expect(headers.host).toBe(new URL(toy.url).host);
    }
    expect(JSON.stringify(toySeen)).not.toContain(keys.ada);
    // And nothing of the upstream's own challenge comes back.
    expect(sent.headers['www-authenticate']).toBeUndefined();

    // An upstream refusing the stored credential is MREG's 502 in words, not a 401 the client would
    // take for its own key, and neither the credential nor the upstream's challenge comes back.
    const wrongToken = 'stale-upstream-token-0b9e2f71';
    await register('ada@contoso.test', undefined, { slug: 'stale', url: toy.url, auth: { kind: 'bearer', token: wrongToken } });
    const refused = await raw(urlOf('stale'), { headers: { ...MCP_HEADERS, authorization: `Bearer ${keys.ada}` }, body: INITIALIZE });
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.body).error.message).toBe(
      `the MCP server "stale": the server answered 401: it refused MREG's credentials (a tenant admin can check the server's authentication)`,
    );
    expect(refused.body).not.toContain(wrongToken);
    expect(refused.headers['www-authenticate']).toBeUndefined();
  });

  it("binds an upstream session to the user who opened it: another's key with that session id is refused, never forwarded; DELETE ends the binding", async () => {
    const { client, transport } = await connect(keys.ada, slugs.everything);
    const sessionId = transport.sessionId!;
    expect(sessionId).toBeTruthy();
    // Once the client's own GET stream is open, it sends nothing more by itself.
    await expect.poll(() => everythingSeen.some((s) => s.method === 'GET' && s.headers['mcp-session-id'] === sessionId)).toBe(true);
    const before = everythingSeen.length;
    const asUma = await raw(urlOf(slugs.everything), {
      headers: { ...MCP_HEADERS, authorization: `Bearer ${keys.uma}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
    });
    expect(asUma.status).toBe(404);
    expect(JSON.parse(asUma.body)).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32001, message: expect.stringContaining('Session not found') } });
    expect(everythingSeen.length).toBe(before);
    // A made-up session id is refused too: MREG does not know it.
    const madeUp = await raw(urlOf(slugs.everything), {
      headers: { ...MCP_HEADERS, authorization: `Bearer ${keys.ada}`, 'mcp-session-id': randomUUID() },
      body: JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/list' }),
    });
    expect(madeUp.status).toBe(404);
    expect(everythingSeen.length).toBe(before);

    // Its owner goes on; then ends it, and the id is no one's any more.
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await transport.terminateSession();
    await client.close();
    const seen = everythingSeen.length;
    const after = await raw(urlOf(slugs.everything), {
      headers: { ...MCP_HEADERS, authorization: `Bearer ${keys.ada}`, 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(after.status).toBe(404);
    expect(everythingSeen.length).toBe(seen);
  });

  it("takes bearer keys only (the browser cookie alone is 401) and a server of the key's own tenant only", async () => {
    const { client: browser } = await signInAs(app.url, 'ada@contoso.test');
    const withCookie = await browser.request(urlOf(slugs.everything), { method: 'POST', headers: MCP_HEADERS, body: INITIALIZE });
    expect(withCookie.status).toBe(401);
    expect(withCookie.headers.get('www-authenticate')).toMatch(/^Bearer /);

    // vic's key is for Fabrikam: Contoso's slugs do not exist for it.
    const other = await raw(urlOf(slugs.everything), { headers: { ...MCP_HEADERS, authorization: `Bearer ${keys.vic}` }, body: INITIALIZE });
    expect(other.status).toBe(404);
    expect(JSON.parse(other.body)).toMatchObject({ jsonrpc: '2.0', id: 1, error: { message: `There is no MCP server "${slugs.everything}" in Fabrikam` } });
    const unknown = await raw(urlOf('nope'), { headers: { ...MCP_HEADERS, authorization: `Bearer ${keys.ada}` }, body: INITIALIZE });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.message).toBe('There is no MCP server "nope" in Contoso');
    const disabled = await raw(urlOf(slugs.disabled), { headers: { ...MCP_HEADERS, authorization: `Bearer ${keys.ada}` }, body: INITIALIZE });
    expect(disabled.status).toBe(404);
    expect(JSON.parse(disabled.body).error.message).toContain(`"${slugs.disabled}" is disabled`);
  });

  it('follows a server disabled in the registry within a second', async () => {
    const saved = await register('ada@contoso.test', undefined, { slug: 'soon-off', url: everything.url });
    const ask = () => raw(urlOf('soon-off'), { headers: { ...MCP_HEADERS, authorization: `Bearer ${keys.ada}` }, body: INITIALIZE });
    expect((await ask()).status).toBe(200);
    const { client } = await signInAs(app.url, 'ada@contoso.test');
    expect((await trpcMutation(client, app.url, 'registry.update', { id: saved.server.id, enabled: false })).status).toBe(200);
    const started = performance.now();
    await expect.poll(async () => (await ask()).status, { timeout: 3000, interval: 100 }).toBe(404);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('lets a viewer list tools but not call them (403 naming tools:call)', async () => {
    const { client } = await connect(keys.vic, slugs.fabrikamToy);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
      await expect(client.callTool({ name: 'echo', arguments: { text: 'no' } })).rejects.toThrow(/Forbidden: tools\/call needs the permission tools:call in Fabrikam/);
    } finally {
      await client.close();
    }
    await app.toolCalls.flush();
    const [refused] = await app.db.orm.em
      .fork()
      .execute(`select tenant_id, outcome, target_id from audit_events where action = 'tool.called' and details->>'server' = ? and outcome = 'refused'`, [slugs.fabrikamToy]);
    expect(refused).toEqual({ tenant_id: FABRIKAM.id, outcome: 'refused', target_id: null });
    // A batch hiding a call among other messages is refused as well.
    const batch = await raw(urlOf(slugs.fabrikamToy), {
      headers: { ...MCP_HEADERS, authorization: `Bearer ${keys.vic}` },
      body: JSON.stringify([{ jsonrpc: '2.0', method: 'notifications/initialized' }, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo' } }]),
    });
    expect(batch.status).toBe(403);
    expect(JSON.parse(batch.body).error.message).toContain('tools:call');
  });

  it('refuses a batch of more than 100 messages before any of it goes on, and records none of its calls', async () => {
    const toolCalls = async () => {
      await app.toolCalls.flush();
      return app.db.orm.em.fork().execute<{ n: string }[]>(`select count(*) as n from audit_events where action = 'tool.called'`);
    };
    const before = await toolCalls();
    const calls = Array.from({ length: 101 }, (_, i) => ({ jsonrpc: '2.0', id: i + 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } }));
    toySeen.length = 0;
    const batch = JSON.stringify(calls);
    const answer = await raw(urlOf(slugs.toy), { headers: { ...MCP_HEADERS, authorization: `Bearer ${keys.ada}` }, body: batch });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: -32600, message: 'Invalid Request: a batch holds at most 100 messages' } });
    // Nothing of the batch reached the upstream (the registry's health check may call on it meanwhile:
    // its own small initialize, told apart by its length).
    expect(toySeen.filter((seen) => seen.headers['content-length'] === String(Buffer.byteLength(batch)))).toEqual([]);
    expect((await toolCalls())[0]!.n).toBe(before[0]!.n);
  });

  it('answers a stopped upstream quickly, in words, with a JSON-RPC error (502)', async () => {
    const started = performance.now();
    const answer = await raw(urlOf(slugs.stopped), { headers: { ...MCP_HEADERS, authorization: `Bearer ${keys.ada}` }, body: INITIALIZE });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(answer.status).toBe(502);
    expect(JSON.parse(answer.body)).toMatchObject({
      jsonrpc: '2.0',
      id: 1,
      error: { message: expect.stringMatching(/^the MCP server "stopped": not reached: connection refused at 127\.0\.0\.1:\d+$/) },
    });
    // The SDK client gets it as an error too.
    await expect(connect(keys.ada, slugs.stopped)).rejects.toThrow(/connection refused at 127\.0\.0\.1/);
    // A server whose URL leads nowhere is MREG's 502 too, not a 404 that would read as "no such slug".
    await register('ada@contoso.test', undefined, { slug: 'wrong-path', url: `${new URL(everything.url).origin}/nope` });
    const wrongPath = await raw(urlOf('wrong-path'), { headers: { ...MCP_HEADERS, authorization: `Bearer ${keys.ada}` }, body: INITIALIZE });
    expect(wrongPath.status).toBe(502);
    expect(JSON.parse(wrongPath.body).error.message).toBe('the MCP server "wrong-path": the server answered 404: nothing at its URL (a tenant admin can check its path, e.g. /mcp)');
  });

  it('refuses an answer larger than 4 MiB: a JSON answer with 502, an event over 4 MiB with an error event for the request', async () => {
    const { client } = await connect(keys.ada, slugs.jsonToy);
    try {
      const fine = await client.callTool({ name: 'big', arguments: { bytes: 1000 } });
      expect((fine.content as { text: string }[])[0]!.text).toHaveLength(1000);
      await expect(client.callTool({ name: 'big', arguments: { bytes: 5 * MiB } })).rejects.toThrow(/the answer was larger than 4 MiB/);
    } finally {
      await client.close();
    }

    const { client: streaming } = await connect(keys.ada, slugs.toy);
    try {
      // The request gets MREG's error at once, in words, not a stream cut short that the client would wait out.
      const started = performance.now();
      await expect(streaming.callTool({ name: 'big', arguments: { bytes: 5 * MiB } }, undefined, { timeout: 10_000 })).rejects.toThrow(
        /the MCP server "toy": the answer held an event larger than 4 MiB, which MREG does not pass on/,
      );
      expect(performance.now() - started).toBeLessThan(5000);
      // The session goes on.
      expect((await streaming.callTool({ name: 'echo', arguments: { text: 'still here' } })).content).toEqual([{ type: 'text', text: 'still here' }]);
    } finally {
      await streaming.close();
    }
  });

  it('refuses a request body over 4 MiB (413) and a body that is not JSON (400), never a 500', async () => {
    const auth = { authorization: `Bearer ${keys.ada}` };
    const large = await raw(urlOf(slugs.everything), { headers: { ...MCP_HEADERS, ...auth }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x', params: { pad: 'y'.repeat(5 * MiB) } }) });
    expect(large.status).toBe(413);
    expect(JSON.parse(large.body).error.message).toContain('4 MiB');
    const notJson = await raw(urlOf(slugs.everything), { headers: { ...MCP_HEADERS, ...auth }, body: '{"jsonrpc":' });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).error.code).toBe(-32700);
    const put = await raw(urlOf(slugs.everything), { method: 'PUT', headers: { ...MCP_HEADERS, ...auth }, body: INITIALIZE });
    expect(put.status).toBe(405);
    const badSlug = await raw(urlOf('UPPER%00'), { headers: { ...MCP_HEADERS, ...auth }, body: INITIALIZE });
    expect(badSlug.status).toBe(404);
    const unknownSession = await raw(urlOf(slugs.everything), { method: 'GET', headers: { ...auth, accept: 'text/event-stream', 'mcp-session-id': 'a' } });
    expect(unknownSession.status).toBe(404);
  });

  it('refuses a Host or Origin that is not MREG (DNS rebinding) with 403, before anything else', async () => {
    const auth = { authorization: `Bearer ${keys.ada}` };
    const port = new URL(app.url).port;
    const evilHost = await raw(urlOf(slugs.everything), { headers: { ...MCP_HEADERS, ...auth, host: 'evil.example.com' }, body: INITIALIZE });
    expect(evilHost.status).toBe(403);
    expect(JSON.parse(evilHost.body)).toMatchObject({ jsonrpc: '2.0', error: { message: expect.stringContaining('Invalid Host') } });
    const evilOrigin = await raw(urlOf(slugs.everything), { headers: { ...MCP_HEADERS, ...auth, origin: 'http://evil.example.com' }, body: INITIALIZE });
    expect(evilOrigin.status).toBe(403);
    expect(JSON.parse(evilOrigin.body).error.message).toContain('Invalid Origin');
    // Without a key too: the Host is checked first.
    expect((await raw(urlOf(slugs.everything), { headers: { ...MCP_HEADERS, host: 'evil.example.com' }, body: INITIALIZE })).status).toBe(403);
    // A loopback MREG takes loopback names, whatever the port (a local proxy in front, say).
    const local = await raw(urlOf(slugs.everything), { headers: { ...MCP_HEADERS, ...auth, host: `localhost:${port}`, origin: 'http://localhost:1234' }, body: INITIALIZE });
    expect(local.status).toBe(200);
  });

  it('counts pass-through requests by method and outcome, with no server or slug label', async () => {
    const scrape = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await scrape.text();
    expect(text).toMatch(/mreg_passthrough_requests_total\{method="POST",outcome="forwarded"\} [1-9]/);
    expect(text).toMatch(/mreg_passthrough_requests_total\{method="POST",outcome="session_refused"\} [1-9]/);
    expect(text).toMatch(/mreg_passthrough_requests_total\{method="POST",outcome="upstream_unreachable"\} [1-9]/);
    expect(text).toMatch(/mreg_passthrough_upstream_seconds_count\{method="POST"\} [1-9]/);
    expect(text).toMatch(/mreg_http_requests_total\{method="POST",route="\/mcp\/:slug",status="200"\}/);
    for (const slug of Object.values(slugs)) expect(text).not.toContain(`/mcp/${slug}`);
  });
});

/** Opens a session with raw requests; answers its id. */
async function rawSession(secret: string, slug: string): Promise<string> {
  const opened = await raw(urlOf(slug), { headers: { ...MCP_HEADERS, authorization: `Bearer ${secret}` }, body: INITIALIZE });
  expect(opened.status).toBe(200);
  const sessionId = opened.headers['mcp-session-id'] as string;
  const initialized = await raw(urlOf(slug), {
    headers: { ...MCP_HEADERS, authorization: `Bearer ${secret}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  expect(initialized.status).toBe(202);
  return sessionId;
}

describe(`/mcp/<slug>: streams and instances (${databaseMode}, ${cacheMode})`, () => {
  it('ends an open event stream once its key is revoked', async () => {
    const made = await mintApiKey(app.url, 'ada@contoso.test', { name: 'streaming' });
    const sessionId = await rawSession(made.secret, slugs.everything);
    const stream = await fetch(urlOf(slugs.everything), {
      headers: { authorization: `Bearer ${made.secret}`, accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
    });
    expect(stream.status).toBe(200);
    const ended = stream.text().then(
      () => Date.now(),
      () => Date.now(),
    );
    const { client: ada } = await signInAs(app.url, 'ada@contoso.test');
    const revokedAt = Date.now();
    expect((await trpcMutation(ada, app.url, 'apiKeys.revoke', { id: made.apiKey.id })).status).toBe(200);
    expect((await ended) - revokedAt).toBeLessThan(8000);
  }, 15_000);

  it("ends the upstream's GET stream when the client goes away, and the client's when the upstream fails mid-stream", async () => {
    // The upstream's side of each GET stream: its answer, and whether it has closed.
    // (MREG's own list_changed watcher opens one too, in a session of its own.)
    const all: { session: string | undefined; res: ServerResponse; closed: boolean }[] = [];
    let sessionId = '';
    const streams = () => all.filter((s) => s.session === sessionId);
    const upstream = await startMcpUpstream(toyServer, {
      intercept: (req, res) => {
        if (req.method === 'GET') {
          const stream = { session: req.headers['mcp-session-id'] as string | undefined, res, closed: false };
          res.on('close', () => (stream.closed = true));
          all.push(stream);
        }
        return false;
      },
    });
    try {
      await register('ada@contoso.test', undefined, { slug: 'streams', url: upstream.url });
      sessionId = await rawSession(keys.ada, 'streams');
      const openStream = () =>
        new Promise<{ req: ReturnType<typeof httpRequest>; res: IncomingMessage }>((resolve, reject) => {
          const req = httpRequest(urlOf('streams'), {
            method: 'GET',
            headers: { accept: 'text/event-stream', authorization: `Bearer ${keys.ada}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
          });
          req.on('response', (res) => resolve({ req, res }));
          req.on('error', reject);
          req.end();
        });

      const first = await openStream();
      expect(first.res.statusCode).toBe(200);
      expect(first.res.headers['content-type']).toMatch(/^text\/event-stream/);
      await expect.poll(() => streams().length).toBe(1);
      first.req.destroy();
      await expect.poll(() => streams()[0]!.closed).toBe(true);

      const second = await openStream();
      await expect.poll(() => streams().length).toBe(2);
      const ended = new Promise<void>((resolve) => second.res.on('close', () => resolve()));
      streams()[1]!.res.destroy();
      await ended;
    } finally {
      await upstream.close();
    }
  });

  it('binds sessions in the shared cache: another instance lets the owner in and keeps others out', async () => {
    const other = await startTestApp({ sameStoresAs: app });
    try {
      const sessionId = await rawSession(keys.ada, slugs.everything);
      const list = (secret: string) =>
        raw(`${other.url}/mcp/${slugs.everything}`, {
          headers: { ...MCP_HEADERS, authorization: `Bearer ${secret}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
        });
      const owner = await list(keys.ada);
      expect(owner.status).toBe(200);
      expect(owner.body).toContain('"echo"');
      expect((await list(keys.uma)).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});

describe('/mcp/<slug> behind a public https address', () => {
  it('takes the public host (from the proxy) and refuses a loopback one', async () => {
    const proxied = await startTestApp({ publicOrigin: 'https://mreg.test', env: { MREG_DEV_SIGN_IN: 'true' } });
    try {
      const refused = await raw(`${proxied.url}/mcp/x`, { headers: { ...MCP_HEADERS, 'x-forwarded-host': 'evil.example.com', 'x-forwarded-proto': 'https' }, body: INITIALIZE });
      expect(refused.status).toBe(403);
      const loopback = await raw(`${proxied.url}/mcp/x`, { headers: MCP_HEADERS, body: INITIALIZE });
      expect(loopback.status).toBe(403);
      const crossOrigin = await raw(`${proxied.url}/mcp/x`, { headers: { ...MCP_HEADERS, 'x-forwarded-host': 'mreg.test', origin: 'https://evil.example.com' }, body: INITIALIZE });
      expect(crossOrigin.status).toBe(403);
      // The right host and origin go on to the bearer check.
      const ours = await raw(`${proxied.url}/mcp/x`, { headers: { ...MCP_HEADERS, 'x-forwarded-host': 'mreg.test', origin: 'https://mreg.test' }, body: INITIALIZE });
      expect(ours.status).toBe(401);
    } finally {
      await proxied.close();
    }
  });
});

