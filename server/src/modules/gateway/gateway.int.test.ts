import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server, ServerDetail, ServerSaved, TenantMember } from '@mreg/shared';
import { DEMO_TENANTS } from '../../identity/demo-directory';
import { MCP_REFUSED_CREDENTIALS_PER_MINUTE } from '../../http/mcp-limits';
import { hashToken } from '../../lib/tokens';
import { bearer, mintApiKey } from '../../testing/api-keys';
import type { CookieClient } from '../../testing/cookie-client';
import { databaseMode, startTestApp, type TestApp } from '../../testing/harness';
import { startEverythingServer, startToyServer, type TestUpstream, type ToyUpstream } from '../../testing/mcp-upstreams';
import { signInAs, trpcMutation, trpcQuery, type TrpcAnswer } from '../../testing/sign-in';

/**
 * /mcp through the real app, with the official MCP SDK client and an API key, against real MCP
 * servers on 127.0.0.1: the union of a tenant's servers, calls with progress and cancellation,
 * refusals, isolation between tenants, list_changed, and two instances sharing the stores.
 */

const [CONTOSO, FABRIKAM] = DEMO_TENANTS;
const METRICS_TOKEN = 'metrics-token-for-the-gateway-test-0123456789';
let app: TestApp;
let second: TestApp;
let everything: TestUpstream;
let toy: ToyUpstream;
let fabrikamToy: ToyUpstream;
let ada: CookieClient;
let adaInFabrikam: CookieClient;
const keys: Record<string, string> = {};
const clients: Client[] = [];

function data<T>(answer: TrpcAnswer): T {
  if (!answer.body.result) throw new Error(`expected a result, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.result.data as T;
}

async function register(client: CookieClient, slug: string, url: string): Promise<ServerSaved> {
  const saved = data<ServerSaved>(await trpcMutation(client, app.url, 'registry.create', { slug, name: `Server ${slug}`, url }));
  expect(saved.discovery.ok).toBe(true);
  return saved;
}

/** The SDK client on `baseUrl`/mcp with `secret` as its bearer. */
async function connect(secret: string, baseUrl = app.url): Promise<Client> {
  const client = new Client({ name: 'gateway-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers: bearer(secret) } }));
  clients.push(client);
  return client;
}

/** The tool-call events written so far that match `where`, once the buffer is flushed. */
async function toolCallEvents(where: string): Promise<Record<string, unknown>[]> {
  await app.toolCalls.flush();
  return app.db.orm.em.fork().execute(`select * from audit_events where action = 'tool.called' and ${where} order by id`);
}

/** A raw JSON-RPC POST to /mcp. */
function post(body: unknown, headers: Record<string, string> = {}, baseUrl = app.url) {
  return fetch(`${baseUrl}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', ...headers },
    body: JSON.stringify(body),
  });
}
const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

beforeAll(async () => {
  [everything, toy, fabrikamToy] = await Promise.all([startEverythingServer(), startToyServer({ callTools: true }), startToyServer({ callTools: true })]);
  app = await startTestApp({ env: { MREG_METRICS_TOKEN: METRICS_TOKEN } });
  second = await startTestApp({ sameStoresAs: app });
  ({ client: ada } = await signInAs(app.url, 'ada@contoso.test'));
  await register(ada, 'every', everything.url);
  await register(ada, 'toy', toy.url);
  ({ client: adaInFabrikam } = await signInAs(app.url, 'ada@contoso.test'));
  expect((await trpcMutation(adaInFabrikam, app.url, 'auth.switchTenant', { tenantId: FABRIKAM.id })).status).toBe(200);
  await register(adaInFabrikam, 'fab', fabrikamToy.url);
  keys.ada = (await mintApiKey(app.url, 'ada@contoso.test')).secret;
  keys.uma = (await mintApiKey(app.url, 'uma@contoso.test')).secret;
  keys.vic = (await mintApiKey(app.url, 'vic@fabrikam.test')).secret;
  keys.adaFabrikam = (await mintApiKey(app.url, 'ada@contoso.test', { tenantId: FABRIKAM.id })).secret;
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  await second?.close();
  await app?.close();
  await Promise.all([everything?.close(), toy?.close(), fabrikamToy?.close()]);
});

describe(`/mcp (${databaseMode})`, () => {
  it("lists the union of the tenant's servers, named <slug>__<name>, schemas unchanged", async () => {
    const client = await connect(keys.ada!);
    expect(client.getServerVersion()?.name).toBe('mreg');
    const { tools } = await client.listTools();
    const direct = new Client({ name: 'direct', version: '1' });
    await direct.connect(new StreamableHTTPClientTransport(new URL(everything.url)));
    const upstreamTools = (await direct.listTools()).tools;
    await direct.close();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['toy__echo', 'toy__slow', 'toy__big', 'every__echo', 'every__get-sum']));
    // Every tool of the upstream but those that run only as MCP tasks, which /mcp does not carry.
    const taskOnly = upstreamTools.filter((tool) => tool.execution?.taskSupport === 'required').map((tool) => tool.name);
    expect(taskOnly).toContain('simulate-research-query');
    expect(names.filter((name) => name.startsWith('every__')).sort()).toEqual(
      upstreamTools
        .filter((tool) => !taskOnly.includes(tool.name))
        .map((tool) => `every__${tool.name}`)
        .sort(),
    );
    expect(names.some((name) => name.startsWith('fab__'))).toBe(false);
    const echo = upstreamTools.find((tool) => tool.name === 'echo')!;
    expect(tools.find((tool) => tool.name === 'every__echo')).toEqual({ ...echo, name: 'every__echo' });

    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.every((resource) => resource.uri.startsWith('mreg://every/'))).toBe(true);
    const read = await client.readResource({ uri: resources[0]!.uri });
    expect(read.contents[0]!.uri).toBe(resources[0]!.uri.slice('mreg://every/'.length));
    const { prompts } = await client.listPrompts();
    expect(prompts.length).toBeGreaterThan(0);
    expect(prompts.every((prompt) => prompt.name.startsWith('every__'))).toBe(true);
    const simple = prompts.find((prompt) => !prompt.arguments?.some((argument) => argument.required));
    expect((await client.getPrompt({ name: simple!.name })).messages.length).toBeGreaterThan(0);
  });

  it('calls tools of two upstreams with their own credentials, never the caller’s', async () => {
    const client = await connect(keys.uma!);
    expect(await client.callTool({ name: 'toy__echo', arguments: { text: 'hello' } })).toMatchObject({ content: [{ type: 'text', text: 'hello' }] });
    const sum = await client.callTool({ name: 'every__get-sum', arguments: { a: 2, b: 3 } });
    expect(JSON.stringify(sum.content)).toContain('5');
    expect(toy.requests.some((request) => request.authorization?.includes('mreg_pat_'))).toBe(false);
    expect(everything.requests.some((request) => request.authorization !== undefined)).toBe(false);
    // Recorded in the audit log: who, where, what, how it ended; never the arguments.
    const [event] = await toolCallEvents(`details->>'tool' = 'echo' and details->>'server' = 'toy'`);
    expect(event).toMatchObject({ tenant_id: CONTOSO.id, outcome: 'success', actor_kind: 'api_key', actor_user_id: expect.any(String), target_kind: 'server' });
    expect(event!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(event).toMatchObject({ ip: expect.stringContaining('127.0.0.1'), request_id: expect.any(String) });
    expect(JSON.stringify(event)).not.toContain('hello');
  });

  it('carries progress back and the cancellation upstream', async () => {
    const client = await connect(keys.ada!);
    const progress: Progress[] = [];
    const done = await client.callTool({ name: 'toy__slow', arguments: { label: 'progress', steps: 3, delayMs: 20 } }, undefined, { onprogress: (p) => progress.push(p) });
    expect(done).toMatchObject({ content: [{ text: 'progress: 3 steps' }] });
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3]);

    const abort = new AbortController();
    const slow = client.callTool({ name: 'toy__slow', arguments: { label: 'cancel-me', steps: 100, delayMs: 50 } }, undefined, { signal: abort.signal });
    setTimeout(() => abort.abort('changed my mind'), 300);
    await expect(slow).rejects.toThrow();
    await expect.poll(() => toy.cancelled, { timeout: 5000 }).toContain('cancel-me');

    // The same through /mcp/<slug>, which passes progress and the cancellation on as they are.
    const direct = new Client({ name: 'gateway-test', version: '1.0.0' });
    await direct.connect(new StreamableHTTPClientTransport(new URL(`${app.url}/mcp/toy`), { requestInit: { headers: bearer(keys.ada!) } }));
    clients.push(direct);
    const slugProgress: Progress[] = [];
    expect(await direct.callTool({ name: 'slow', arguments: { label: 'slug', steps: 2, delayMs: 20 } }, undefined, { onprogress: (p) => slugProgress.push(p) })).toMatchObject({
      content: [{ text: 'slug: 2 steps' }],
    });
    expect(slugProgress.map((p) => p.progress)).toEqual([1, 2]);
    const stop = new AbortController();
    const slowThrough = direct.callTool({ name: 'slow', arguments: { label: 'cancel-through-slug', steps: 100, delayMs: 50 } }, undefined, { signal: stop.signal });
    setTimeout(() => stop.abort('enough'), 300);
    await expect(slowThrough).rejects.toThrow();
    await expect.poll(() => toy.cancelled, { timeout: 5000 }).toContain('cancel-through-slug');
  });

  it('lets a call under way finish when its server is saved again (a new connection for the calls after it)', async () => {
    const client = await connect(keys.ada!);
    const toyServer = data<Server[]>(await trpcQuery(ada, app.url, 'registry.list')).find((server) => server.slug === 'toy')!;
    const running = client.callTool({ name: 'toy__slow', arguments: { label: 'outlives-a-save', steps: 8, delayMs: 50 } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await trpcMutation(ada, app.url, 'registry.update', { id: toyServer.id, name: 'Toy, renamed' })).status).toBe(200);
    expect(await client.callTool({ name: 'toy__echo', arguments: { text: 'after the save' } })).toMatchObject({ content: [{ text: 'after the save' }] });
    expect(await running).toMatchObject({ content: [{ text: 'outlives-a-save: 8 steps' }] });
  });

  it('carries a cancellation sent to the other instance (no sticky sessions)', async () => {
    const init = await post(initialize, bearer(keys.ada!));
    const sessionId = init.headers.get('mcp-session-id')!;
    expect(sessionId).toBeTruthy();
    const headers = { ...bearer(keys.ada!), 'mcp-session-id': sessionId };
    const call = post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'toy__slow', arguments: { label: 'across', steps: 100, delayMs: 50 } } }, headers);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cancel = await post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7, reason: 'enough' } }, headers, second.url);
    expect(cancel.status).toBe(202);
    await expect.poll(() => toy.cancelled, { timeout: 5000 }).toContain('across');
    await (await call).text().catch(() => undefined);
    // The session goes on at the other instance too.
    const list = await post({ jsonrpc: '2.0', id: 8, method: 'tools/list' }, { ...headers, accept: 'application/json, text/event-stream' }, second.url);
    expect(list.status).toBe(200);
  });

  it('answers a clear error, quickly, for a stopped upstream and for tools that are not there', async () => {
    const client = await connect(keys.adaFabrikam!);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['fab__echo', 'fab__slow', 'fab__big']);
    await fabrikamToy.stop();
    const started = Date.now();
    await expect(client.callTool({ name: 'fab__echo', arguments: { text: 'x' } })).rejects.toThrow(/The server fab is not reachable: connection refused/);
    expect(Date.now() - started).toBeLessThan(5000);
    await fabrikamToy.start();
    expect(await client.callTool({ name: 'fab__echo', arguments: { text: 'back' } })).toMatchObject({ content: [{ text: 'back' }] });
    // The SDK client says "MCP error <code>:" once, before MREG's own words.
    await expect(client.callTool({ name: 'fab__nothing', arguments: {} })).rejects.toThrow(/^MCP error -32602: There is no tool fab__nothing in Fabrikam$/);
    await expect(client.callTool({ name: 'gone__echo', arguments: {} })).rejects.toThrow(/There is no server gone in Fabrikam/);

    // A server whose upstream is gone for good, then marked unhealthy (as the health loop would after
    // MREG_REGISTRY_UNHEALTHY_AFTER failed pings): its tools leave the list, and a call says why.
    const doomed = await startToyServer();
    const saved = await register(adaInFabrikam, 'doomed', doomed.url);
    await doomed.close();
    await expect.poll(async () => (await client.listTools()).tools.map((tool) => tool.name), { timeout: 3000 }).toContain('doomed__echo');
    await expect(client.callTool({ name: 'doomed__echo', arguments: { text: 'x' } })).rejects.toThrow(/The server doomed is not reachable: connection refused/);
    await app.db.orm.em.fork().execute(`update mcp_server_health set status = 'unhealthy', last_error = 'connection refused at 127.0.0.1:9' where server_id = ?`, [saved.server.id]);
    await expect.poll(async () => (await client.listTools()).tools.map((tool) => tool.name), { timeout: 3000 }).not.toContain('doomed__echo');
    const failed = await client.callTool({ name: 'doomed__echo', arguments: { text: 'x' } }).then(() => 'no error', (error: Error) => error.message);
    // The reason is the last health check's: the test's own words, or those of the app's health loop
    // if it checked the stopped upstream meanwhile (it runs on its own schedule).
    expect(failed).toMatch(/The server doomed is unhealthy: .+; try again later/);
    expect((await trpcMutation(adaInFabrikam, app.url, 'registry.remove', { id: saved.server.id })).status).toBe(200);
    await expect(client.callTool({ name: 'doomed__echo', arguments: { text: 'x' } })).rejects.toThrow(/There is no server doomed in Fabrikam/);

    // In the audit log: refused by MREG with the reason (a missing tool is still a call to its server); the stopped upstream an error.
    const events = await toolCallEvents(`tenant_id = '${FABRIKAM.id}' and details->>'tool' in ('nothing', 'echo') and details->>'server' in ('fab', 'gone', 'doomed')`);
    const summary = events.map((event) => [event.details, event.outcome, event.reason, event.target_id === null ? 'no server' : 'server']);
    expect(summary).toEqual(
      expect.arrayContaining([
        [{ server: 'fab', tool: 'nothing' }, 'refused', 'unknown_tool', 'server'],
        [{ server: 'gone', tool: 'echo' }, 'refused', 'unknown_server', 'no server'],
        [{ server: 'doomed', tool: 'echo' }, 'refused', 'server_unavailable', 'server'],
        [{ server: 'fab', tool: 'echo' }, 'error', null, 'server'],
      ]),
    );
  });

  it('answers bad JSON with the JSON-RPC parse error', async () => {
    const response = await fetch(`${app.url}/mcp`, { method: 'POST', headers: { ...bearer(keys.ada!), 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc": ' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } });
  });

  it('refuses an answer over the size cap, and the connection stays usable', async () => {
    const client = await connect(keys.ada!);
    await expect(client.callTool({ name: 'toy__big', arguments: { bytes: 5 * 1024 * 1024 } })).rejects.toThrow(/larger than 4 MiB/);
    expect(await client.callTool({ name: 'toy__echo', arguments: { text: 'still here' } })).toMatchObject({ content: [{ text: 'still here' }] });
  });

  it("keeps tenants apart: Fabrikam's key sees and calls none of Contoso's servers", async () => {
    const client = await connect(keys.vic!);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(['fab__echo', 'fab__slow', 'fab__big']);
    const caller = await connect(keys.adaFabrikam!);
    await expect(caller.callTool({ name: 'toy__echo', arguments: { text: 'x' } })).rejects.toThrow(/There is no server toy in Fabrikam/);
    await expect(client.readResource({ uri: 'mreg://every/demo://resource/static/document/architecture.md' })).rejects.toThrow(/no server every in Fabrikam/);
  });

  it('lets a viewer list but not call', async () => {
    const client = await connect(keys.vic!);
    await expect(client.callTool({ name: 'fab__echo', arguments: { text: 'x' } })).rejects.toThrow(/needs the permission tools:call in Fabrikam/);
    // Recorded all the same, as refused.
    const [refused] = await toolCallEvents(`outcome = 'refused' and reason = 'missing_permission'`);
    expect(refused).toMatchObject({ details: { server: 'fab', tool: 'echo' }, tenant_id: FABRIKAM.id, target_kind: 'server', reason: 'missing_permission' });
  });

  it('takes bearer keys only: no cookie, no unknown, revoked or demoted key', async () => {
    const none = await post(initialize);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="MREG"/);
    const cookie = await ada.request(`${app.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', origin: app.url, 'x-mreg-csrf': '1' },
      body: JSON.stringify(initialize),
    });
    expect(cookie.status).toBe(401);
    expect(cookie.body).toContain('browser session is not accepted');
    const unknown = await post(initialize, bearer(`mreg_pat_${'B'.repeat(43)}`));
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');

    // Revoked on one instance: refused there at once, and by a client connected to the other as soon
    // as the invalidation reaches it (that instance keeps the callers it verified lately, 2 s at most,
    // and drops them on the message: milliseconds with Redis, within the process without it).
    const made = await mintApiKey(app.url, 'ada@contoso.test', { name: 'short-lived' });
    const client = await connect(made.secret, second.url);
    const here = await connect(made.secret, app.url);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    expect((await here.listTools()).tools.length).toBeGreaterThan(0);
    expect((await trpcMutation(ada, app.url, 'apiKeys.revoke', { id: made.apiKey.id })).status).toBe(200);
    const refusedHere = await here.listTools().catch((error: unknown) => error);
    expect(String(refusedHere)).toMatch(/401|invalid_token/);
    const revokedAt = Date.now();
    let refused: unknown;
    while (!(refused instanceof Error) && Date.now() - revokedAt < 1500) refused = await client.listTools().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    expect(String(refused)).toMatch(/401|invalid_token/);
    expect(Date.now() - revokedAt).toBeLessThan(1000);

    // Demoted: uma's key lists but no longer calls.
    const members = data<TenantMember[]>(await trpcQuery(ada, app.url, 'tenants.members'));
    const uma = members.find((member) => member.email === 'uma@contoso.test')!;
    const umaClient = await connect(keys.uma!, second.url);
    expect((await trpcMutation(ada, app.url, 'tenants.updateMember', { userId: uma.userId, role: 'viewer' })).status).toBe(200);
    try {
      // On the other instance, as soon as the invalidation reaches it (milliseconds).
      const call = () => umaClient.callTool({ name: 'toy__echo', arguments: { text: 'x' } }).then(() => 'called', (error: unknown) => String(error));
      await expect.poll(call, { timeout: 1000, interval: 20 }).toMatch(/needs the permission tools:call/);
      expect((await umaClient.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      expect((await trpcMutation(ada, app.url, 'tenants.updateMember', { userId: uma.userId, role: 'member' })).status).toBe(200);
    }
  });

  it('binds the session id to its key, and checks Host and Origin', async () => {
    const init = await post(initialize, bearer(keys.ada!));
    const sessionId = init.headers.get('mcp-session-id')!;
    const other = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { ...bearer(keys.uma!), 'mcp-session-id': sessionId });
    expect(other.status).toBe(404);
    const evil = await post(initialize, { ...bearer(keys.ada!), origin: 'http://evil.test' });
    expect(evil.status).toBe(403);
    expect(await evil.text()).toContain('is not this MREG');
    // fetch will not send another Host: node:http does.
    const rebound = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify(initialize);
      const request = httpRequest(`${app.url}/mcp`, {
        method: 'POST',
        headers: { ...bearer(keys.ada!), host: 'evil.test', 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(body) },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      request.on('error', reject);
      request.end(body);
    });
    expect(rebound).toBe(403);
  });

  it('tells connected clients when the tools change, and leaves out names over 64 characters', async () => {
    const client = await connect(keys.ada!);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed += 1;
    });
    // Let the client's GET stream open.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const long = `a-tool-with-a-rather-long-name-${'x'.repeat(40)}`;
    toy.addTool('added');
    toy.addTool(long);
    const toyServer = data<Server[]>(await trpcQuery(ada, app.url, 'registry.list')).find((server) => server.slug === 'toy')!;
    expect(data<ServerSaved>(await trpcMutation(ada, app.url, 'registry.refresh', { id: toyServer.id })).discovery.ok).toBe(true);
    await expect.poll(() => changed, { timeout: 8000 }).toBeGreaterThan(0);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('toy__added');
    expect(names.some((name) => name.includes('rather-long'))).toBe(false);
    const detail = data<ServerDetail>(await trpcQuery(ada, app.url, 'registry.get', { id: toyServer.id }));
    expect(detail.gatewayOmitted).toEqual([{ kind: 'tool', name: long, gatewayName: `toy__${long}`, reason: 'name_too_long' }]);
  });

  it('ends an open event stream once its key is revoked', async () => {
    const made = await mintApiKey(app.url, 'ada@contoso.test', { name: 'streaming' });
    const init = await post(initialize, bearer(made.secret));
    const sessionId = init.headers.get('mcp-session-id')!;
    const stream = await fetch(`${app.url}/mcp`, { headers: { ...bearer(made.secret), 'mcp-session-id': sessionId, accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const ended = stream.text().then(() => Date.now());
    const revokedAt = Date.now();
    expect((await trpcMutation(ada, app.url, 'apiKeys.revoke', { id: made.apiKey.id })).status).toBe(200);
    expect((await ended) - revokedAt).toBeLessThan(8000);
  }, 15_000);

  it('counts requests and calls in the metrics, and the audit events written', async () => {
    await app.toolCalls.flush();
    const text = await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    const written = (kind: string) => Number(new RegExp(`mreg_audit_events_written_total\\{kind="${kind}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    const events = await app.db.orm.em.fork().execute<{ tool: string; security: string }[]>(
      `select count(*) filter (where action = 'tool.called') as tool, count(*) filter (where action <> 'tool.called') as security from audit_events`,
    );
    // This instance's: the second instance of the no-sticky-sessions test wrote its calls into the same table.
    expect(written('tool_call')).toBeGreaterThan(0);
    expect(written('tool_call')).toBeLessThanOrEqual(Number(events[0]!.tool));
    // Security events counted as written in their transactions (those of requests; the health loop's are not a request's).
    expect(written('security')).toBeGreaterThan(0);
    expect(text).toMatch(/^mreg_audit_buffer_depth 0$/m);
    expect(text).toMatch(/^mreg_audit_flush_failures_total 0$/m);
    expect(text).toMatch(/mreg_mcp_requests_total\{method="tools\/call",outcome="ok"\} \d+/);
    expect(text).toMatch(/mreg_mcp_tool_calls_total\{server="[0-9a-f-]+",outcome="ok"\} \d+/);
    expect(text).toContain('mreg_mcp_upstream_seconds_bucket');
  });
});

describe(`/mcp rate limits (${databaseMode})`, () => {
  it('slows down guessing: past MCP_REFUSED_CREDENTIALS_PER_MINUTE refused keys from one address, 429', async () => {
    const guessed = await startTestApp();
    try {
      const { secret } = await mintApiKey(guessed.url, 'ada@contoso.test');
      const guess = (i: number) => post({ jsonrpc: '2.0', id: i, method: 'ping' }, bearer(`mreg_pat_${String(i).padStart(43, 'G')}`), guessed.url);
      const statuses = new Map<number, number>();
      for (let i = 0; i <= MCP_REFUSED_CREDENTIALS_PER_MINUTE; i++) {
        const status = (await guess(i)).status;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        // Accepted requests in between are not counted.
        if (i % 100 === 0 && i < MCP_REFUSED_CREDENTIALS_PER_MINUTE) expect((await post({ jsonrpc: '2.0', id: i, method: 'ping' }, bearer(secret), guessed.url)).status).toBe(200);
      }
      expect(Object.fromEntries(statuses)).toEqual({ 401: MCP_REFUSED_CREDENTIALS_PER_MINUTE + 1 });
      // Over the limit: turned away before any lookup, the right key too, until the minute is over.
      await expect.poll(async () => (await guess(1000)).status, { timeout: 2000 }).toBe(429);
      const turnedAway = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(secret), guessed.url);
      expect(turnedAway.status).toBe(429);
      expect(Number(turnedAway.headers.get('retry-after'))).toBeGreaterThan(0);
      // None of them was kept in the cache.
      expect(await guessed.cache.get(`api-key:${hashToken(`mreg_pat_${'0'.padStart(43, 'G')}`)}`)).toBeUndefined();
    } finally {
      await guessed.close();
    }
  });

  it('answers 429 with Retry-After past MREG_GATEWAY_RATE_LIMIT, /mcp and /mcp/<slug> counted together', async () => {
    const limited = await startTestApp({ env: { MREG_GATEWAY_RATE_LIMIT: '3' } });
    try {
      const { secret } = await mintApiKey(limited.url, 'ada@contoso.test');
      const statuses: number[] = [];
      for (let i = 0; i < 2; i++) statuses.push((await post({ jsonrpc: '2.0', id: i, method: 'ping' }, bearer(secret), limited.url)).status);
      // /mcp/<slug> counts with /mcp (no server of that slug: a 404, counted all the same).
      const passThrough = () =>
        fetch(`${limited.url}/mcp/nothing`, { method: 'POST', headers: { ...bearer(secret), 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
      statuses.push((await passThrough()).status, (await passThrough()).status);
      expect(statuses).toEqual([200, 200, 404, 429]);
      const refused = await post({ jsonrpc: '2.0', id: 9, method: 'ping' }, bearer(secret), limited.url);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.text()).toContain('MREG_GATEWAY_RATE_LIMIT');
    } finally {
      await limited.close();
    }
  });
});
