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
import { approve, MemoryOAuthProvider, postForm } from '../testing/oauth';
import { startThrowawayRedis, type ThrowawayRedis } from '../testing/throwaway-redis';
import { DRAIN_SECONDS, startTopology, type Instance, type Topology } from '../testing/topology';
import { LISTS_CHANGED } from '../modules/registry/registry.runtime';
import { CLEANUP_RAN } from '../modules/sessions/sessions.cleanup';
import { DRAINING } from '../server';
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
/** A tenant admin of the first organisation, signed in, with a server `toy` registered and an API key. */
let ada: Browser;
let adaKey: ApiKeyCreated;
/** Sign-ins completed through the proxy so far. */
let signIns = 0;

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
  ada = await signIn(person(0, 'Ada', ['admin']));
  const saved = data<ServerSaved>(await mutate(ada, 'registry.create', { slug: 'toy', name: 'Toy', url: toy.url }));
  expect(saved.discovery.ok).toBe(true);
  adaKey = data<ApiKeyCreated>(await mutate(ada, 'apiKeys.create', { name: 'topology' }));
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
async function signIn(who: EntraPerson, headers: Record<string, string> = {}, localAddress?: string): Promise<Browser> {
  const client = new CookieClient(headers, topology.entra.transport(who), localAddress);
  const login = await client.request(`${topology.url}/auth/login`);
  expect(login.status, login.body).toBe(302);
  const authorize = await client.request(login.location!);
  expect(authorize.status, authorize.body).toBe(302);
  const callback = await client.request(authorize.location!);
  expect(callback.status, callback.body).toBe(303);
  signIns++;
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

/** One query on the topology's database. */
async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  try {
    return (await db.query<T>(text, values)).rows;
  } finally {
    await db.end();
  }
}

/** Tool-call events written for an API key. */
const toolCallEvents = async (keyId: string) =>
  (await sql<{ n: number }>(`select count(*)::int as n from audit_events where action = 'tool.called' and actor_credential_id = $1`, [keyId]))[0]!.n;

/** A raw MCP initialize on the proxy's /mcp with `secret` as the bearer. */
function initializeMcp(secret: string): Promise<Response> {
  return fetch(`${topology.url}/mcp`, {
    method: 'POST',
    headers: { ...bearer(secret), 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
}

/** Lines an instance logged with message `msg`, at or after `since` (epoch ms). */
const logged = (instance: Instance, msg: string, since = 0) => instance.logs().filter((l) => l.msg === msg && Date.parse(l.time as string) >= since);

describe('through the proxy, whichever instance answers', () => {
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
    // From 127.0.0.2, with an X-Forwarded-For of its own: MREG_TRUST_PROXY=1 takes the address HAProxy
    // saw and added (not HAProxy's own, 127.0.0.1, nor the one the client made up).
    const first = await signIn(uma, { 'x-forwarded-for': '203.0.113.9' }, '127.0.0.2');
    const [second, third] = [await signIn(uma), await signIn(uma)];
    const sessions = data<{ sessionId: string; isCurrent: boolean; ipAddress: string | null }[]>(await query(first, 'auth.sessions'));
    expect(sessions.filter((s) => !s.isCurrent).map((s) => s.ipAddress)).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(sessions.find((s) => s.isCurrent)?.ipAddress).toBe('127.0.0.2');
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

  it('audit events are complete: every sign-in and every tool call made through either instance has its event', async () => {
    expect((await sql<{ n: number }>(`select count(*)::int as n from audit_events where action = 'auth.sign_in'`))[0]!.n).toBe(signIns);
    const key = data<ApiKeyCreated>(await mutate(ada, 'apiKeys.create', { name: 'counted calls' }));
    const client = await connectMcp(key.secret, '/mcp');
    const calls = 20;
    for (let i = 0; i < calls; i++) await client.callTool({ name: 'toy__echo', arguments: { text: `counted ${i}` } });
    // Each instance writes its buffered events within a second.
    await expect.poll(() => toolCallEvents(key.apiKey.id), { timeout: 5000 }).toBe(calls);
    const events = data<{ events: { action: string }[] }>(await query(ada, 'audit.list', { action: 'api_key.created', limit: 100 })).events;
    expect(events.length).toBeGreaterThanOrEqual(3);
  });
});

/** When the toy server's last health check was recorded (epoch ms), whichever instance made it. */
const lastChecked = async () =>
  Number((await sql<{ at: string }>(`select extract(epoch from h.last_checked_at) * 1000 as at from mcp_server_health h join mcp_servers s on s.id = h.server_id where s.slug = 'toy'`))[0]!.at);

/** The times of the toy server's health checks recorded over `ms` (looked for ten times a second), after the one before. */
async function checksDuring(ms: number): Promise<number[]> {
  const seen = new Set<number>([await lastChecked()]);
  for (const until = Date.now() + ms; Date.now() < until; await sleep(100)) seen.add(await lastChecked());
  return [...seen].sort((a, b) => a - b);
}

/** When the clean-up runs logged by all instances since `since` were claimed, in order. */
const cleanupRuns = (since: number) =>
  topology.instances.flatMap((instance) => logged(instance, CLEANUP_RAN, since).map((line) => Date.parse(line.startedAt as string))).sort((a, b) => a - b);

const gaps = (times: number[]) => times.slice(1).map((time, i) => time - times[i]!);

describe('background work, once per interval in total', () => {
  it('the health loop checks each server once per interval, and the clean-up runs once per interval, with both instances up', async () => {
    const since = Date.now();
    const checks = await checksDuring(11_000);
    const runs = cleanupRuns(since);
    // A server that says its lists changed (or whose list_changed stream was opened again) is
    // discovered at once, by whichever instance: such a check is no periodic one.
    const heard = topology.instances.flatMap((instance) => logged(instance, LISTS_CHANGED, since - 2000).map((line) => Date.parse(line.time as string)));
    const periodic = checks.filter((at, i) => i === 0 || !heard.some((h) => h <= at && at - h < 2000));
    console.info(`health checks ${gaps(checks).join(', ')} ms apart (${checks.length - periodic.length} after a list change); clean-ups ${gaps(runs).join(', ')} ms apart`);
    // One at a time, checks come an interval apart (less 10% jitter); each instance checking on its
    // own would put them about half an interval apart.
    expect(periodic.length).toBeGreaterThanOrEqual(2);
    for (const gap of gaps(periodic)) expect(gap).toBeGreaterThanOrEqual(HEALTH_INTERVAL_S * 900);
    // The clean-up: 4 to 6 runs in 11 s, claimed an interval after the one before, whichever
    // instance ran it; about 1 s apart if each ran its own.
    expect(runs.length).toBeGreaterThanOrEqual(4);
    for (const gap of gaps(runs)) expect(gap).toBeGreaterThanOrEqual(CLEANUP_INTERVAL_S * 1000 - 50);
  });
});

interface Outcome {
  kind: 'auth.user' | 'tools/call';
  ok: boolean;
  /** When the request was sent and when its answer (or failure) came. */
  startedAt: number;
  at: number;
  by?: string | null;
  error?: string;
}

interface Load {
  stop(): Promise<Outcome[]>;
  outcomes: Outcome[];
}

/** `workers` browsers, each with an MCP client on /mcp, asking auth.user and calling toy__echo in turn, until stopped. */
async function startLoad(workers: number, secret: string): Promise<Load> {
  const outcomes: Outcome[] = [];
  const people = await Promise.all(Array.from({ length: workers }, async (_, i) => ({ browser: await signIn(person(0, `Load${i}`)), mcp: await connectMcp(secret, '/mcp') })));
  let running = true;
  const loops = people.map(async ({ browser, mcp }, i) => {
    for (let n = 0; running; n++) {
      let startedAt = Date.now();
      try {
        const answer = await query(browser, 'auth.user');
        const error = answer.status === 200 ? undefined : `${answer.status} ${JSON.stringify(answer.body)}`;
        outcomes.push({ kind: 'auth.user', ok: !error, startedAt, at: Date.now(), by: servedBy(answer.hop), error });
      } catch (error) {
        outcomes.push({ kind: 'auth.user', ok: false, startedAt, at: Date.now(), error: String(error) });
      }
      startedAt = Date.now();
      try {
        const result = await mcp.callTool({ name: 'toy__echo', arguments: { text: `load ${i} ${n}` } });
        outcomes.push({ kind: 'tools/call', ok: !result.isError, startedAt, at: Date.now(), error: result.isError ? JSON.stringify(result.content) : undefined });
      } catch (error) {
        outcomes.push({ kind: 'tools/call', ok: false, startedAt, at: Date.now(), error: String(error) });
      }
    }
  });
  let stopped: Promise<Outcome[]> | undefined;
  return {
    outcomes,
    stop() {
      running = false;
      stopped ??= Promise.all(loops).then(() => outcomes);
      return stopped;
    },
  };
}

/** Tool calls the toy server has been sent so far. */
const upstreamCalls = () => toy.requests.filter((r) => r.method === 'tools/call').length;

describe('an instance killed in the middle of the load', () => {
  it('only requests in flight on it may fail; the other takes them all, and the health loop and the clean-up go on there', async () => {
    const WORKERS = 4;
    const key = data<ApiKeyCreated>(await mutate(ada, 'apiKeys.create', { name: 'kill load' }));
    const [victim, survivor] = topology.instances as [Instance, Instance];
    const callsBefore = upstreamCalls();
    const load = await startLoad(WORKERS, key.secret);
    let killedAt: number;
    let diedAt: number;
    try {
      // Just after a health check has been recorded, so that the dead instance holds no check's lease.
      const checkedBefore = await lastChecked();
      await expect.poll(lastChecked, { timeout: 10_000, interval: 50 }).toBeGreaterThan(checkedBefore);
      await sleep(300);
      killedAt = Date.now();
      await victim.kill();
      diedAt = Date.now();
      await haproxyDown(victim);
      await sleep(2000);
    } finally {
      await load.stop();
    }
    try {
      const outcomes = load.outcomes;
      const failed = outcomes.filter((o) => !o.ok);
      const calls = outcomes.filter((o) => o.kind === 'tools/call');
      const answeredCalls = calls.filter((o) => o.ok).length;
      const sentOn = upstreamCalls() - callsBefore;
      // Tool calls answered but not audited: the victim's buffer of its last second (written every second).
      const audited = await toolCallEvents(key.apiKey.id);
      console.info(
        `kill -9 under load: ${outcomes.length} requests, ${failed.length} failed (${failed.map((f) => f.kind).join(', ') || 'none'}), ` +
          `${outcomes.filter((o) => o.at > diedAt).length} answered after the kill; ${answeredCalls} tool calls answered, ${sentOn} reached the server, ${audited} audited`,
      );
      // At most the requests in flight on the victim fail: one per worker at most, each sent before it died and failing after.
      expect(failed.length, JSON.stringify(failed)).toBeLessThanOrEqual(WORKERS);
      for (const failure of failed) {
        expect(failure.startedAt).toBeLessThanOrEqual(diedAt);
        expect(failure.at).toBeGreaterThanOrEqual(killedAt);
      }
      expect(outcomes.filter((o) => o.at > diedAt && o.ok).length).toBeGreaterThan(WORKERS * 4);
      expect(outcomes.filter((o) => o.ok && o.by === victim.name).length).toBeGreaterThan(0);
      // No call ran twice: the server saw every answered call once, plus at most the failed ones (which may have reached it).
      expect(sentOn).toBeGreaterThanOrEqual(answeredCalls);
      expect(sentOn).toBeLessThanOrEqual(answeredCalls + failed.filter((f) => f.kind === 'tools/call').length);
      expect(audited).toBeLessThanOrEqual(answeredCalls + failed.length);
      // The survivor takes the next health check and the next clean-ups.
      await expect.poll(lastChecked, { timeout: (HEALTH_INTERVAL_S * 1.1 + 2) * 1000, interval: 100 }).toBeGreaterThan(diedAt);
      await expect.poll(() => logged(survivor, CLEANUP_RAN, diedAt).length, { timeout: CLEANUP_INTERVAL_S * 2 * 1000 + 1000 }).toBeGreaterThan(0);
    } finally {
      // Back for the next tests, whatever happened above.
      await victim.start();
      await topology.haproxy.waitFor(victim.name, 'UP');
    }
  }, 60_000);
});

async function haproxyDown(instance: Instance) {
  await topology.haproxy.waitFor(instance.name, 'DOWN', 10_000);
}

describe('a rolling restart under load', () => {
  it('stops (SIGTERM) and starts each instance in turn with no request failing, readiness false before the listener closes, in-flight calls finished, and every call audited', async () => {
    const key = data<ApiKeyCreated>(await mutate(ada, 'apiKeys.create', { name: 'rolling load' }));
    const slowClient = await connectMcp(key.secret, '/mcp');
    const load = await startLoad(4, key.secret);
    const outOfRotation: number[] = [];
    const slowCalls: Promise<unknown>[] = [];
    try {
      await sleep(500);
      for (const instance of topology.instances) {
        // Two calls longer than the drain, one on each instance (round robin): the stopping one must finish its own.
        for (const n of [1, 2]) {
          slowCalls.push(slowClient.callTool({ name: 'toy__slow', arguments: { label: `spans the stop of ${instance.name} (${n})`, steps: 30, delayMs: 100 } }));
        }
        await sleep(200);
        const stopping = Date.now();
        const exited = instance.stop();
        // HAProxy takes it out while it still serves (it drains for DRAIN_SECONDS), before it exits.
        await haproxyDown(instance);
        outOfRotation.push(Date.now() - stopping);
        expect(await exited).toBe(0);
        expect(outOfRotation.at(-1)).toBeLessThan(DRAIN_SECONDS * 1000);
        expect(logged(instance, DRAINING, stopping)).toHaveLength(1);
        await instance.start();
        await topology.haproxy.waitFor(instance.name, 'UP');
        await sleep(500);
      }
    } finally {
      await load.stop();
    }
    const outcomes = load.outcomes;
    const slow = await Promise.allSettled(slowCalls);
    console.info(
      `rolling restart under load: ${outcomes.length} requests, ${outcomes.filter((o) => !o.ok).length} failed; out of rotation after SIGTERM in ${outOfRotation.map((ms) => `${ms} ms`).join(' and ')}; ` +
        `${slow.filter((r) => r.status === 'fulfilled').length} of ${slow.length} 3-second calls finished`,
    );
    expect(outcomes.filter((o) => !o.ok), 'failed requests').toEqual([]);
    for (const result of slow) expect(result).toMatchObject({ status: 'fulfilled', value: { content: [{ text: expect.stringMatching(/: 30 steps$/) }] } });
    expect(outcomes.length).toBeGreaterThan(100);
    expect(new Set(outcomes.map((o) => o.by).filter(Boolean))).toEqual(names());
    // Each instance wrote its buffered tool-call events before it stopped: none is missing.
    const calls = outcomes.filter((o) => o.kind === 'tools/call').length + slowCalls.length;
    await expect.poll(() => toolCallEvents(key.apiKey.id), { timeout: 5000 }).toBe(calls);
  }, 120_000);
});

// Last: it spends the registrations left this hour, which the OAuth test above needs one of.
describe('shared limits', () => {
  it('rate limits are counted together: dynamic registrations past the hourly limit are refused by both instances', async () => {
    const [{ n: before }] = (await sql<{ n: number }>('select count(*)::int as n from oauth_clients')) as [{ n: number }];
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
