import { randomUUID } from 'node:crypto';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ToolListChangedNotificationSchema, type Progress } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyCreated, ServerSaved } from '@mreg/shared';
import { bearer } from '../testing/api-keys';
import { CookieClient, type Hop } from '../testing/cookie-client';
import { createScratchDatabase, deleteRedisKeys, type ScratchDatabase } from '../testing/databases';
import type { EntraPerson } from '../testing/entra-stand-in';
import { adminDatabaseUrl, testRedisUrl, uniqueName } from '../testing/harness';
import { startToyServer, type ToyUpstream } from '../testing/mcp-upstreams';
import { approve, MemoryOAuthProvider, postForm, registerClient } from '../testing/oauth';
import { startThrowawayRedis, type ThrowawayRedis } from '../testing/throwaway-redis';
import { startTopology, type Instance, type Topology } from '../testing/topology';
import { signOut, trpcMutation, trpcQuery, type TrpcAnswer } from '../testing/sign-in';

/**
 * Several instances behind one address (issue 23): two MREG processes on one PostgreSQL and one
 * Redis behind HAProxy, round robin with no stickiness (testing/topology.ts, as README.md's "Running
 * several instances" describes it), and everything done through the proxy, whichever instance
 * answers. HAProxy names the instance that answered in X-Served-By.
 */

/** The instances' intervals, short so that "once per interval" can be counted in seconds. */
const HEALTH_INTERVAL_S = 5;
const CLEANUP_INTERVAL_S = 2;
const REGISTRATION_LIMIT = 6;

let topology: Topology;
let database: ScratchDatabase;
let ownRedis: ThrowawayRedis | undefined;
let toy: ToyUpstream;
const namespace = uniqueName();
const clients: Client[] = [];

beforeAll(async () => {
  database = await createScratchDatabase(adminDatabaseUrl(), uniqueName());
  // The run's Redis when there is one (CI's second mode), else one of this file's own.
  ownRedis = testRedisUrl ? undefined : await startThrowawayRedis();
  toy = await startToyServer({ callTools: true });
  topology = await startTopology({
    databaseUrl: database.url,
    redisUrl: testRedisUrl ?? ownRedis!.url,
    namespace,
    env: {
      MREG_REGISTRY_HEALTH_INTERVAL: String(HEALTH_INTERVAL_S),
      MREG_FASTMCP_SESSION_CLEANUP_INTERVAL: String(CLEANUP_INTERVAL_S),
      MREG_OAUTH_REGISTRATION_RATE_LIMIT: String(REGISTRATION_LIMIT),
      // The load below comes from one address and a few sessions and keys: these limits are not what it measures.
      MREG_SIGN_IN_RATE_LIMIT: '10000',
      MREG_TRPC_RATE_LIMIT: '1000000',
      MREG_GATEWAY_RATE_LIMIT: '1000000',
      MREG_GATEWAY_TENANT_RATE_LIMIT: '1000000',
    },
  });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await topology?.close();
  await toy?.close();
  if (testRedisUrl) await deleteRedisKeys(testRedisUrl, namespace);
  await ownRedis?.kill();
  await database?.drop();
}, 60_000);

const servedBy = (hop: Hop) => hop.headers.get('x-served-by');
const names = () => new Set(topology.instances.map((i) => i.name));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function person(tenant: 0 | 1, name: string, roles: string[] = []): EntraPerson {
  return { tid: topology.entra.tenants[tenant].id, oid: randomUUID(), email: `${name.toLowerCase()}.${randomUUID().slice(0, 8)}@example.test`, name, roles };
}

interface Browser {
  client: CookieClient;
  /** The instances that answered /auth/login and /auth/callback. */
  login: string | null;
  callback: string | null;
}

/** A browser's sign-in through the proxy: /auth/login, Entra ID (the stand-in), /auth/callback. */
async function signIn(who: EntraPerson, headers: Record<string, string> = {}): Promise<Browser> {
  const client = new CookieClient(headers, topology.entra.transport(who));
  const login = await client.request(`${topology.url}/auth/login`);
  expect(login.status, login.body).toBe(302);
  const authorize = await client.request(login.location!);
  expect(authorize.status, authorize.body).toBe(302);
  const callback = await client.request(authorize.location!);
  expect(callback.status, callback.body).toBe(303);
  return { client, login: servedBy(login), callback: servedBy(callback) };
}

const query = (browser: Browser, path: string, input?: unknown) => trpcQuery(browser.client, topology.url, path, input);
const mutate = (browser: Browser, path: string, input?: unknown) => trpcMutation(browser.client, topology.url, path, input);
const data = <T>(answer: TrpcAnswer) => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.result!.data as T;
};

/** Asks `times` times in a row: round robin sends them to every instance. */
async function onEveryInstance(times: number, ask: () => Promise<TrpcAnswer>): Promise<{ status: number; by: string | null }[]> {
  const answers: { status: number; by: string | null }[] = [];
  for (let i = 0; i < times; i++) {
    const answer = await ask();
    answers.push({ status: answer.status, by: servedBy(answer.hop) });
  }
  expect(new Set(answers.map((a) => a.by))).toEqual(names());
  return answers;
}

/** A fetch for the SDK's transport that notes which instance answered each request. */
function recordingFetch(seen: { method: string; by: string | null; status: number }[]): FetchLike {
  return async (url, init) => {
    const response = await fetch(url, init);
    seen.push({ method: init?.method ?? 'GET', by: response.headers.get('x-served-by'), status: response.status });
    return response;
  };
}

/** The official SDK client on the proxy's `path`, with an API key. */
async function connectMcp(secret: string, path: string, seen: { method: string; by: string | null; status: number }[] = []): Promise<Client> {
  const client = new Client({ name: 'topology-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${topology.url}${path}`), { requestInit: { headers: bearer(secret) }, fetch: recordingFetch(seen) }));
  clients.push(client);
  return client;
}

/** A raw MCP initialize on the proxy's /mcp with `secret` as the bearer. */
function initializeMcp(secret: string): Promise<Response> {
  return fetch(`${topology.url}/mcp`, {
    method: 'POST',
    headers: { ...bearer(secret), 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
}

/** Lines an instance logged with message `msg`, at or after `since` (epoch ms). */
const logged = (instance: Instance, msg: string, since = 0) => instance.logs().filter((l) => l.msg === msg && (l.time as number) >= since);

let ada: Browser;
let adaKey: ApiKeyCreated;

describe('through the proxy, whichever instance answers', () => {
  beforeAll(async () => {
    ada = await signIn(person(0, 'Ada', ['admin']));
    const saved = data<ServerSaved>(await mutate(ada, 'registry.create', { slug: 'toy', name: 'Toy', url: toy.url }));
    expect(saved.discovery.ok).toBe(true);
    adaKey = data<ApiKeyCreated>(await mutate(ada, 'apiKeys.create', { name: 'topology' }));
  });

  it('browser sign-in: the pre-auth state is made on one instance and the callback lands on the other', async () => {
    const adaAgain = person(0, 'Ada', ['admin']);
    const browsers = [await signIn(adaAgain), await signIn(adaAgain), await signIn(adaAgain)];
    // Round robin with nothing else going through: /auth/login and /auth/callback alternate.
    expect(browsers.filter((b) => b.login !== b.callback).length).toBeGreaterThan(0);
    for (const browser of browsers) {
      const answers = await onEveryInstance(2, () => query(browser, 'auth.user'));
      expect(answers.every((a) => a.status === 200)).toBe(true);
    }
  });

  it('a session revoked through one instance is refused by the other at its next request, and so is a signed-out one', async () => {
    const uma = person(0, 'Uma');
    // A client's own X-Forwarded-For is not believed: MREG_TRUST_PROXY=1 takes the address HAProxy added.
    const first = await signIn(uma, { 'x-forwarded-for': '203.0.113.9' });
    const [second, third] = [await signIn(uma), await signIn(uma)];
    const sessions = data<{ sessionId: string; isCurrent: boolean; ipAddress: string | null }[]>(await query(first, 'auth.sessions'));
    expect(sessions.filter((s) => !s.isCurrent)).toHaveLength(2);
    expect(sessions.map((s) => s.ipAddress)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    const secondId = data<{ sessionInfo: { sessionId: string } }>(await query(second, 'auth.user')).sessionInfo.sessionId;
    data(await mutate(first, 'auth.revokeSession', { sessionId: secondId }));
    expect((await onEveryInstance(2, () => query(second, 'auth.user'))).map((a) => a.status)).toEqual([401, 401]);
    const signedOut = await signOut(third.client, topology.url);
    expect(signedOut.status).toBe(200);
    expect((await onEveryInstance(2, () => query(third, 'auth.user'))).map((a) => a.status)).toEqual([401, 401]);
    expect((await onEveryInstance(2, () => query(first, 'auth.user'))).map((a) => a.status)).toEqual([200, 200]);
  });

  it('tenant switch: the new tenant on every instance at once, and the old token refused by both', async () => {
    const vic = await signIn(person(1, 'Vic', ['admin']));
    const grace = person(0, 'Grace');
    const browser = await signIn(grace);
    const [contoso, fabrikam] = topology.entra.tenants;
    // Grace joins Fabrikam by invitation (made through one instance, accepted through whichever).
    const { link } = data<{ link: string }>(await mutate(vic, 'tenants.invite', { email: grace.email, role: 'member' }));
    data(await mutate(browser, 'auth.acceptInvitation', { token: link.split('/').at(-1) }));
    const tenants = data<{ tenantId: string }[]>(await query(browser, 'auth.tenants'));
    expect(tenants.map((t) => t.tenantId).sort()).toEqual([contoso.id, fabrikam.id].sort());
    const oldCookie = (await browser.client.cookie(topology.url, 'mreg_session'))!.value;
    data(await mutate(browser, 'auth.switchTenant', { tenantId: contoso.id }));
    for (const answer of await onEveryInstance(2, () => query(browser, 'auth.user'))) {
      expect(answer.status).toBe(200);
    }
    expect(data<{ tenantContext: { tenantId: string } }>(await query(browser, 'auth.user')).tenantContext.tenantId).toBe(contoso.id);
    // A new token at the privilege change: the old one is refused by both instances.
    const stale = new CookieClient();
    await stale.jar.setCookie(`mreg_session=${oldCookie}; Path=/`, topology.url);
    const staleAnswers = [await trpcQuery(stale, topology.url, 'auth.user'), await trpcQuery(stale, topology.url, 'auth.user')];
    expect(staleAnswers.map((a) => a.status)).toEqual([401, 401]);
    expect(new Set(staleAnswers.map((a) => servedBy(a.hop)))).toEqual(names());
  });

  it('API keys: made through one instance, used on both, revoked through one and refused by both', async () => {
    const made = data<ApiKeyCreated>(await mutate(ada, 'apiKeys.create', { name: 'short-lived' }));
    const ask = () => initializeMcp(made.secret);
    const before = [await ask(), await ask()];
    expect(before.map((r) => r.status)).toEqual([200, 200]);
    expect(new Set(before.map((r) => r.headers.get('x-served-by')))).toEqual(names());
    data(await mutate(ada, 'apiKeys.revoke', { id: made.apiKey.id }));
    const after = [await ask(), await ask()];
    expect(after.map((r) => r.status)).toEqual([401, 401]);
    expect(new Set(after.map((r) => r.headers.get('x-served-by')))).toEqual(names());
  });

});

describe('MCP through the proxy', () => {
  it('/mcp: a session opened through one instance goes on through the other, progress over SSE, cancellation and list_changed included', async () => {
    const seen: { method: string; by: string | null; status: number }[] = [];
    const client = await connectMcp(adaKey.secret, '/mcp', seen);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    for (let i = 0; i < 4; i++) expect((await client.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(['toy__echo', 'toy__slow']));
    const progress: Progress[] = [];
    const done = await client.callTool({ name: 'toy__slow', arguments: { label: 'across', steps: 3, delayMs: 20 } }, undefined, { onprogress: (p) => progress.push(p) });
    expect(done).toMatchObject({ content: [{ text: 'across: 3 steps' }] });
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3]);
    // The cancellation is a POST of its own: whichever instance takes it reaches the call.
    const abort = new AbortController();
    const slow = client.callTool({ name: 'toy__slow', arguments: { label: 'cancelled-across', steps: 100, delayMs: 50 } }, undefined, { signal: abort.signal });
    setTimeout(() => abort.abort('enough'), 300);
    await expect(slow).rejects.toThrow();
    await expect.poll(() => toy.cancelled, { timeout: 5000 }).toContain('cancelled-across');
    // A change saved through either instance reaches the standing GET stream, wherever it is open.
    toy.addTool('grown');
    const toyServer = data<{ id: string; slug: string }[]>(await query(ada, 'registry.list')).find((server) => server.slug === 'toy')!;
    expect(data<ServerSaved>(await mutate(ada, 'registry.refresh', { id: toyServer.id })).discovery.ok).toBe(true);
    await expect.poll(() => changed, { timeout: 10_000 }).toBeGreaterThan(0);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('toy__grown');
    const posts = seen.filter((r) => r.method === 'POST');
    expect(new Set(posts.map((r) => r.by))).toEqual(names());
    expect(seen.some((r) => r.method === 'GET' && r.status === 200)).toBe(true);
    expect(seen.every((r) => r.status < 400)).toBe(true);
  });

  it('/mcp/<slug>: the upstream session opened through one instance goes on through the other, SSE both ways', async () => {
    const seen: { method: string; by: string | null; status: number }[] = [];
    const client = await connectMcp(adaKey.secret, '/mcp/toy', seen);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    for (let i = 0; i < 4; i++) expect(await client.callTool({ name: 'echo', arguments: { text: `echo ${i}` } })).toMatchObject({ content: [{ text: `echo ${i}` }] });
    const progress: Progress[] = [];
    expect(await client.callTool({ name: 'slow', arguments: { label: 'through', steps: 2, delayMs: 20 } }, undefined, { onprogress: (p) => progress.push(p) })).toMatchObject({
      content: [{ text: 'through: 2 steps' }],
    });
    expect(progress.map((p) => p.progress)).toEqual([1, 2]);
    // The upstream announces a change on its GET stream, which one instance carries.
    await sleep(300);
    toy.addTool('grown-again');
    await expect.poll(() => changed, { timeout: 5000 }).toBeGreaterThan(0);
    const posts = seen.filter((r) => r.method === 'POST');
    expect(new Set(posts.map((r) => r.by))).toEqual(names());
    expect(seen.every((r) => r.status < 400)).toBe(true);
  });

  it('OAuth: registration, authorization and token on different instances; refresh on each; a reused refresh token revokes the grant everywhere', async () => {
    const seen: { method: string; by: string | null; status: number }[] = [];
    const provider = new MemoryOAuthProvider();
    const mcp = new URL(`${topology.url}/mcp`);
    const transport = new StreamableHTTPClientTransport(mcp, { authProvider: provider, fetch: recordingFetch(seen) });
    await expect(new Client({ name: 'oauth-topology', version: '1' }).connect(transport)).rejects.toThrow(UnauthorizedError);
    const { code } = await approve(ada.client, topology.url, provider.authorizationUrl!, topology.entra.tenants[0].id);
    await transport.finishAuth(code);
    expect(new Set(seen.map((r) => r.by))).toEqual(names());
    const client = new Client({ name: 'oauth-topology', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(mcp, { authProvider: provider }));
    clients.push(client);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('toy__echo');

    const clientId = provider.info!.client_id;
    const refresh = (token: string) => postForm(`${topology.url}/token`, { grant_type: 'refresh_token', refresh_token: token, client_id: clientId, resource: mcp.href });
    const first = provider.saved!.refresh_token!;
    const once = await refresh(first);
    expect(once.status, JSON.stringify(once.body)).toBe(200);
    const twice = await refresh(once.body.refresh_token as string);
    expect(twice.status, JSON.stringify(twice.body)).toBe(200);
    const latest = twice.body.access_token as string;
    const initialize = () => initializeMcp(latest);
    expect([(await initialize()).status, (await initialize()).status]).toEqual([200, 200]);
    // The first refresh token again (already rotated): the whole grant ends, on both instances.
    expect((await refresh(first)).status).toBe(400);
    const refused = [await initialize(), await initialize()];
    expect(refused.map((r) => r.status)).toEqual([401, 401]);
    expect(new Set(refused.map((r) => r.headers.get('x-served-by')))).toEqual(names());
  });

  it('audit events are complete: every tool call made through either instance has its event', async () => {
    const key = data<ApiKeyCreated>(await mutate(ada, 'apiKeys.create', { name: 'counted calls' }));
    const client = await connectMcp(key.secret, '/mcp');
    const calls = 20;
    for (let i = 0; i < calls; i++) await client.callTool({ name: 'toy__echo', arguments: { text: `counted ${i}` } });
    // Each instance writes its buffered events within a second.
    await expect
      .poll(async () => {
        const db = new pg.Client({ connectionString: database.url });
        await db.connect();
        try {
          const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from audit_events where action = 'tool.called' and actor_credential_id = $1`, [key.apiKey.id]);
          return rows[0]!.n;
        } finally {
          await db.end();
        }
      }, { timeout: 5000 })
      .toBe(calls);
    const events = data<{ events: { action: string }[] }>(await query(ada, 'audit.list', { action: 'api_key.created', limit: 100 })).events;
    expect(events.length).toBeGreaterThanOrEqual(3);
  });
});

// Last: it spends the registrations left this hour, which the OAuth test above needs one of.
describe('shared limits', () => {
  it('rate limits are counted together: dynamic registrations past the hourly limit are refused by both instances', async () => {
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const [{ n: before }] = (await db.query<{ n: number }>('select count(*)::int as n from oauth_clients')).rows as [{ n: number }];
    await db.end();
    const answers: { status: number; by: string | null }[] = [];
    for (let i = 0; i < REGISTRATION_LIMIT + 2; i++) {
      const response = await fetch(`${topology.url}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: `counted ${i}`, redirect_uris: ['http://127.0.0.1:9/callback'], token_endpoint_auth_method: 'none' }),
      });
      answers.push({ status: response.status, by: response.headers.get('x-served-by') });
    }
    const accepted = REGISTRATION_LIMIT - before;
    expect(answers.map((a) => a.status)).toEqual([...Array<number>(accepted).fill(201), ...Array<number>(REGISTRATION_LIMIT + 2 - accepted).fill(429)]);
    // Each instance alone saw about half of them: only a shared count refuses the last ones on both.
    expect(new Set(answers.slice(0, accepted).map((a) => a.by))).toEqual(names());
    expect(new Set(answers.slice(accepted).map((a) => a.by))).toEqual(names());
  });
});
