import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OAuthGrant, ServerSaved, TenantMember } from '@mreg/shared';
import { DEMO_TENANTS } from '../../identity/demo-directory';
import { manualClock } from '../../lib/clock';
import { hashToken } from '../../lib/tokens';
import type { CookieClient } from '../../testing/cookie-client';
import { databaseMode, startTestApp, type TestApp } from '../../testing/harness';
import { startToyServer, type ToyUpstream } from '../../testing/mcp-upstreams';
import { answerConsent, approve, MemoryOAuthProvider, openAuthorization, pkcePair, postForm, registerClient } from '../../testing/oauth';
import { signInAs, trpcMutation, trpcQuery, type TrpcAnswer } from '../../testing/sign-in';

/**
 * MREG as the authorization server of MCP clients (issue 20), through the real app: the official
 * SDK client's OAuth (discovery, registration, PKCE, code, token) with the person's consent given
 * through the consent page's procedures, then /mcp with the token; refresh and its rotation,
 * revocation, and each refusal the RFCs name, with nothing issued.
 */

const [CONTOSO, FABRIKAM] = DEMO_TENANTS;
const clock = manualClock();
let app: TestApp;
let second: TestApp;
let toy: ToyUpstream;
let fabToy: ToyUpstream;
let ada: CookieClient;
let uma: CookieClient;
const clients: Client[] = [];

function data<T>(answer: TrpcAnswer): T {
  if (!answer.body.result) throw new Error(`expected a result, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.result.data as T;
}

/** The tokens the app holds for a grant, by kind. */
async function tokenCount(grantId: string): Promise<number> {
  const [row] = await app.db.orm.em.fork().execute<{ count: string }[]>(`select count(*) from oauth_tokens where grant_id = ?`, [grantId]);
  return Number(row!.count);
}

/** The whole SDK flow for `person` approving `tenantId` at `resourcePath`: answers the client's provider, connected. */
async function connectWithOAuth(person: CookieClient, tenantId: string, resourcePath = '/mcp', baseUrl = app.url) {
  const provider = new MemoryOAuthProvider();
  const url = new URL(`${baseUrl}${resourcePath}`);
  const first = new Client({ name: 'oauth-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  await expect(first.connect(transport)).rejects.toThrow(UnauthorizedError);
  expect(provider.authorizationUrl).toBeDefined();
  const { code, decision } = await approve(person, app.url, provider.authorizationUrl!, tenantId);
  await transport.finishAuth(code);
  const client = new Client({ name: 'oauth-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
  clients.push(client);
  return { provider, client, decision };
}

/**
 * An MCP initialize with `token`, to this app or (`via`) straight to another instance's listener
 * with this app's Host, as a load balancer in front of both would send it.
 */
async function callMcp(token: string, path = '/mcp', via?: TestApp): Promise<{ status: number; headers: Headers; json(): Promise<unknown> }> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  if (!via) return fetch(`${app.url}${path}`, { method: 'POST', headers, body });
  return new Promise((resolve, reject) => {
    const target = new URL(via.url);
    const request = httpRequest({ host: target.hostname, port: target.port, path, method: 'POST', headers: { ...headers, host: new URL(app.url).host } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: new Headers(response.headers as Record<string, string>), json: async () => JSON.parse(text) as unknown }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** A registered public client and a fresh PKCE pair, to drive /authorize and /token by hand. */
async function handClient(redirectUri = 'http://127.0.0.1:9/callback') {
  const registered = await registerClient(app.url, { client_name: 'Hand client', redirect_uris: [redirectUri] });
  expect(registered.status).toBe(201);
  return { clientId: registered.body.client_id as string, redirectUri, ...pkcePair() };
}

function authorizeUrl(params: Record<string, string>) {
  const url = new URL(`${app.url}/authorize`);
  for (const [name, value] of Object.entries({ response_type: 'code', code_challenge_method: 'S256', ...params })) url.searchParams.set(name, value);
  return url;
}

/** A code for a hand client, approved by ada for Contoso at /mcp. */
async function handCode(client: Awaited<ReturnType<typeof handClient>>, resource = `${app.url}/mcp`, tenantId = CONTOSO.id) {
  const { code, decision } = await approve(
    ada,
    app.url,
    authorizeUrl({ client_id: client.clientId, redirect_uri: client.redirectUri, code_challenge: client.challenge, state: 'st-1', resource }),
    tenantId,
  );
  return { code, decision };
}

const grantOf = async (person: CookieClient, clientName: string) => data<OAuthGrant[]>(await trpcQuery(person, app.url, 'auth.grants')).find((g) => g.client.name === clientName);

beforeAll(async () => {
  [toy, fabToy] = await Promise.all([startToyServer(), startToyServer()]);
  app = await startTestApp({ clock, env: { MREG_OAUTH_REGISTRATION_RATE_LIMIT: '1000', MREG_OAUTH_RATE_LIMIT: '10000' } });
  // The same public address, as instances behind one load balancer have.
  second = await startTestApp({ sameStoresAs: app, clock, env: { MREG_PUBLIC_URL: app.url } });
  ({ client: ada } = await signInAs(app.url, 'ada@contoso.test'));
  ({ client: uma } = await signInAs(app.url, 'uma@contoso.test'));
  data<ServerSaved>(await trpcMutation(ada, app.url, 'registry.create', { slug: 'toy', name: 'Toy', url: toy.url }));
  const { client: adaFab } = await signInAs(app.url, 'ada@contoso.test');
  expect((await trpcMutation(adaFab, app.url, 'auth.switchTenant', { tenantId: FABRIKAM.id })).status).toBe(200);
  data<ServerSaved>(await trpcMutation(adaFab, app.url, 'registry.create', { slug: 'fab', name: 'Fab', url: fabToy.url }));
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  await second?.close();
  await app?.close();
  await Promise.all([toy?.close(), fabToy?.close()]);
});

describe(`OAuth for MCP clients (${databaseMode})`, () => {
  it('publishes the metadata MCP clients discover, and challenges with it', async () => {
    const challenge = await fetch(`${app.url}/mcp`, { method: 'POST' });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toBe(`Bearer realm="MREG", resource_metadata="${app.url}/.well-known/oauth-protected-resource/mcp", scope="mcp"`);
    const slugChallenge = await fetch(`${app.url}/mcp/toy`, { method: 'POST' });
    expect(slugChallenge.headers.get('www-authenticate')).toContain(`resource_metadata="${app.url}/.well-known/oauth-protected-resource/mcp/toy"`);

    const prm = await (await fetch(`${app.url}/.well-known/oauth-protected-resource/mcp`)).json();
    expect(prm).toMatchObject({ resource: `${app.url}/mcp`, authorization_servers: [app.url], bearer_methods_supported: ['header'] });
    expect(await (await fetch(`${app.url}/.well-known/oauth-protected-resource/mcp/toy`)).json()).toMatchObject({ resource: `${app.url}/mcp/toy` });
    expect((await fetch(`${app.url}/.well-known/oauth-protected-resource/mcp/NOT_A_SLUG`)).status).toBe(404);

    const as = await (await fetch(`${app.url}/.well-known/oauth-authorization-server`)).json();
    // What the conformance suite's own authorization server publishes (auth/metadata-default), for public clients.
    expect(as).toMatchObject({
      issuer: app.url,
      authorization_endpoint: `${app.url}/authorize`,
      token_endpoint: `${app.url}/token`,
      registration_endpoint: `${app.url}/register`,
      revocation_endpoint: `${app.url}/revoke`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
    });
  });

  it('lets the SDK client discover, register, get consent and call a tool through /mcp', async () => {
    const { provider, client, decision } = await connectWithOAuth(ada, CONTOSO.id);
    expect(decision.consent).toMatchObject({
      client: { name: 'Test MCP client', redirectHost: '127.0.0.1:9', registeredRecently: true, verified: false },
      resource: { url: `${app.url}/mcp`, slug: null },
    });
    expect(decision.consent.tenants.map((t) => [t.tenantId, t.available])).toEqual(
      expect.arrayContaining([
        [CONTOSO.id, true],
        [FABRIKAM.id, true],
      ]),
    );
    expect(provider.saved?.access_token).toMatch(/^mreg_at_[A-Za-z0-9_-]{43}$/);
    expect(provider.saved?.refresh_token).toMatch(/^mreg_rt_[A-Za-z0-9_-]{43}$/);
    expect(provider.saved?.expires_in).toBe(900);
    // Only the hash is stored.
    const stored = await app.db.orm.em.fork().execute(`select 1 from oauth_tokens where token_hash = ?`, [hashToken(provider.saved!.access_token)]);
    expect(stored).toHaveLength(1);

    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('toy__echo');
    expect(await client.callTool({ name: 'toy__echo', arguments: { text: 'through oauth' } })).toMatchObject({ content: [{ type: 'text', text: 'through oauth' }] });
    // The upstream never saw MREG's token.
    expect(toy.requests.some((request) => request.authorization?.includes('mreg_at_'))).toBe(false);

    // Another instance, sharing the stores, takes the token too.
    expect((await callMcp(provider.saved!.access_token, '/mcp', second)).status).toBe(200);
    const grant = await grantOf(ada, 'Test MCP client');
    expect(grant).toMatchObject({ tenantId: CONTOSO.id, tenantName: CONTOSO.name, resource: { slug: null } });
  });

  it("passes the checks of the conformance suite's auth scenarios, as the SDK client's requests show", async () => {
    // The suite's client mode runs a mock server and authorization server of its own; what its
    // auth/metadata-default and auth/token-endpoint-auth-none scenarios check of a client, MREG's
    // server must make possible. Every request the SDK client sends, seen here:
    const sent: { method: string; url: URL; body: string }[] = [];
    const recording: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      sent.push({ method: init?.method ?? 'GET', url, body: typeof init?.body === 'string' ? init.body : init?.body instanceof URLSearchParams ? init.body.toString() : '' });
      return fetch(input, init);
    };
    const provider = new MemoryOAuthProvider();
    const mcp = new URL(`${app.url}/mcp`);
    const transport = new StreamableHTTPClientTransport(mcp, { authProvider: provider, fetch: recording });
    await expect(new Client({ name: 'conformance-like', version: '1' }).connect(transport)).rejects.toThrow(UnauthorizedError);
    const { code } = await approve(ada, app.url, provider.authorizationUrl!, CONTOSO.id);
    await transport.finishAuth(code);
    const paths = sent.map((r) => `${r.method} ${r.url.pathname}`);
    // prm-pathbased-requested: the path-based metadata, named by the 401, before anything else of OAuth.
    expect(paths[1]).toBe('GET /.well-known/oauth-protected-resource/mcp');
    // authorization-server-metadata, client-registration, token-request.
    expect(paths).toEqual(expect.arrayContaining(['GET /.well-known/oauth-authorization-server', 'POST /register', 'POST /token']));
    // authorization-request: PKCE S256 and the resource (resource-parameter-in-authorization, -valid-uri).
    const authorization = provider.authorizationUrl!;
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorization.searchParams.get('resource')).toBe(mcp.href);
    // token-endpoint-auth-method none, and the same resource at the token endpoint (resource-parameter-in-token, -consistency).
    const token = new URLSearchParams(sent.find((r) => r.url.pathname === '/token')!.body);
    expect(token.get('client_secret')).toBeNull();
    expect(token.get('resource')).toBe(mcp.href);
    expect(token.get('code_verifier')).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
    expect(sent.find((r) => r.url.pathname === '/token')!.url.search).toBe('');
  });

  it('rotates refresh tokens, and a reused one revokes the whole grant', async () => {
    const { provider } = await connectWithOAuth(uma, CONTOSO.id);
    const clientId = provider.info!.client_id;
    const first = provider.saved!;
    const refreshed = await postForm(`${app.url}/token`, { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: clientId });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(first.refresh_token);
    const fresh = refreshed.body.access_token as string;
    expect((await callMcp(fresh)).status).toBe(200);

    // The old refresh token again: refused, and the grant with everything issued under it is gone.
    const reused = await postForm(`${app.url}/token`, { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: clientId });
    expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await callMcp(fresh)).status).toBe(401);
    expect((await callMcp(fresh, '/mcp', second)).status).toBe(401);
    const next = await postForm(`${app.url}/token`, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token as string, client_id: clientId });
    expect(next).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await grantOf(uma, 'Test MCP client')).toBeUndefined();
  });

  it('ends a grant revoked in the app at the next call, on every instance', async () => {
    const { provider } = await connectWithOAuth(uma, CONTOSO.id);
    const token = provider.saved!.access_token;
    expect((await callMcp(token, '/mcp', second)).status).toBe(200);
    const grant = (await grantOf(uma, 'Test MCP client'))!;
    expect(data(await trpcMutation(uma, app.url, 'auth.revokeGrant', { grantId: grant.id }))).toEqual({ revoked: true });
    const refused = await callMcp(token, '/mcp', second);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const refresh = await postForm(`${app.url}/token`, { grant_type: 'refresh_token', refresh_token: provider.saved!.refresh_token, client_id: provider.info!.client_id });
    expect(refresh).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // Someone else's grant id is not found, and changes nothing.
    expect((await trpcMutation(ada, app.url, 'auth.revokeGrant', { grantId: grant.id })).body.error?.data.code).toBe('NOT_FOUND');
  });

  it('lets tenant admins see and revoke members’ connected apps, and cuts off a removed member', async () => {
    const { provider } = await connectWithOAuth(uma, CONTOSO.id);
    const members = data<TenantMember[]>(await trpcQuery(ada, app.url, 'tenants.members'));
    const umaId = members.find((m) => m.email === 'uma@contoso.test')!.userId;
    const listed = data<OAuthGrant[]>(await trpcQuery(ada, app.url, 'tenants.memberGrants', { userId: umaId }));
    expect(listed).toHaveLength(1);
    // uma (a member) may not look at ada's.
    const adaId = members.find((m) => m.email === 'ada@contoso.test')!.userId;
    expect((await trpcQuery(uma, app.url, 'tenants.memberGrants', { userId: adaId })).body.error?.data.code).toBe('FORBIDDEN');
    expect(data(await trpcMutation(ada, app.url, 'tenants.revokeMemberGrant', { userId: umaId, grantId: listed[0]!.id }))).toEqual({ revoked: true });
    expect((await callMcp(provider.saved!.access_token)).status).toBe(401);

    // Deactivated: an approved client stops at the next request.
    const again = await connectWithOAuth(uma, CONTOSO.id);
    expect((await callMcp(again.provider.saved!.access_token)).status).toBe(200);
    data(await trpcMutation(ada, app.url, 'tenants.updateMember', { userId: umaId, isActive: false }));
    expect((await callMcp(again.provider.saved!.access_token)).status).toBe(401);
    data(await trpcMutation(ada, app.url, 'tenants.updateMember', { userId: umaId, isActive: true }));
    // Reactivation brings no grant back.
    expect((await callMcp(again.provider.saved!.access_token)).status).toBe(401);
  });

  it('binds a token to its resource and tenant', async () => {
    const gateway = await connectWithOAuth(ada, CONTOSO.id);
    const token = gateway.provider.saved!.access_token;
    const elsewhere = await callMcp(token, '/mcp/toy');
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(((await elsewhere.json()) as { error_description: string }).error_description).toContain(`issued for ${app.url}/mcp, not ${app.url}/mcp/toy`);

    const server = await connectWithOAuth(ada, CONTOSO.id, '/mcp/toy');
    expect((await server.client.listTools()).tools.map((t) => t.name)).toContain('echo');
    expect((await callMcp(server.provider.saved!.access_token, '/mcp')).status).toBe(401);
    expect((await callMcp(server.provider.saved!.access_token, '/mcp/fab')).status).toBe(401);

    // /mcp/fab is Fabrikam's: Contoso cannot be chosen for it, and nothing is issued.
    const hand = await handClient();
    const { requestId } = await openAuthorization(
      authorizeUrl({ client_id: hand.clientId, redirect_uri: hand.redirectUri, code_challenge: hand.challenge, resource: `${app.url}/mcp/fab` }),
    );
    const shown = data<{ tenants: { tenantId: string; available: boolean }[] }>(await trpcQuery(ada, app.url, 'oauth.consent', { requestId }));
    expect(shown.tenants.find((t) => t.tenantId === CONTOSO.id)?.available).toBe(false);
    expect(shown.tenants.find((t) => t.tenantId === FABRIKAM.id)?.available).toBe(true);
    const refused = await trpcMutation(ada, app.url, 'oauth.decide', { requestId, approve: true, tenantId: CONTOSO.id });
    expect(refused.body.error?.data.code).toBe('BAD_REQUEST');
    expect(refused.body.error?.message).toContain('tenantId');
    // A tenant the person is not in: refused alike.
    const notMine = await trpcMutation(ada, app.url, 'oauth.decide', { requestId, approve: true, tenantId: 'northwind' });
    expect(notMine.body.error?.data.code).toBe('BAD_REQUEST');
    const [grants] = await app.db.orm.em.fork().execute<{ count: string }[]>(`select count(*) from oauth_grants where client_id = ?`, [hand.clientId]);
    expect(Number(grants!.count)).toBe(0);
  });

  it('refuses unknown resources, the plain method and unregistered redirect URIs at /authorize, with a page and never a redirect', async () => {
    const hand = await handClient();
    const base = { client_id: hand.clientId, redirect_uri: hand.redirectUri, code_challenge: hand.challenge, state: 'keep me' };
    /** A refusal: a page naming the RFC's error, and no redirect (anyone may register any redirect URI). */
    const refused = async (url: URL, error: string) => {
      const answer = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(answer.status, url.href).toBe(400);
      expect(answer.headers.get('location')).toBeNull();
      expect(answer.headers.get('content-type')).toContain('text/html');
      const text = await answer.text();
      expect(text).toContain('Your MCP client could not start signing in');
      expect(text).toContain(`Reason: ${error}`);
      return text;
    };
    expect(await refused(authorizeUrl({ ...base, resource: 'https://elsewhere.example/mcp' }), 'invalid_target')).toContain('https://elsewhere.example/mcp');
    expect(await refused(authorizeUrl(base), 'invalid_target')).toContain('resource is required');
    await refused(authorizeUrl({ ...base, resource: `${app.url}/mcp`, code_challenge_method: 'plain' }), 'invalid_request');
    await refused(authorizeUrl({ ...base, resource: `${app.url}/mcp`, state: 'nul\u0000here' }), 'invalid_request');
    await refused(authorizeUrl({ ...base, resource: `${app.url}/mcp`, scope: 'x'.repeat(101) }), 'invalid_scope');
    await refused(authorizeUrl({ ...base, resource: `${app.url}/mcp`, redirect_uri: 'https://attacker.example/cb' }), 'invalid_request');
    await refused(authorizeUrl({ ...base, client_id: 'no-such-client', resource: `${app.url}/mcp` }), 'invalid_client');
    await refused(authorizeUrl({ ...base, client_id: '\u0000', resource: `${app.url}/mcp` }), 'invalid_client');
    const [requests] = await app.db.orm.em.fork().execute<{ count: string }[]>(`select count(*) from oauth_requests where client_id = ?`, [hand.clientId]);
    expect(Number(requests!.count)).toBe(0);
  });

  it('returns access_denied with the state unchanged when the person denies', async () => {
    const hand = await handClient();
    const { requestId } = await openAuthorization(
      authorizeUrl({ client_id: hand.clientId, redirect_uri: hand.redirectUri, code_challenge: hand.challenge, state: 'a b&c=d', resource: `${app.url}/mcp` }),
    );
    const { redirect } = await answerConsent(ada, app.url, requestId!, { approve: false });
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('state')).toBe('a b&c=d');
    expect(redirect.searchParams.get('code')).toBeNull();
    // Used up: a second look or answer finds nothing, whoever asks.
    expect((await trpcQuery(ada, app.url, 'oauth.consent', { requestId })).body.error?.data.code).toBe('NOT_FOUND');
    expect((await trpcMutation(ada, app.url, 'oauth.decide', { requestId, approve: true, tenantId: CONTOSO.id })).body.error?.data.code).toBe('NOT_FOUND');
    // Only a signed-in browser session answers: not an API key, not someone signed out.
    const other = await openAuthorization(authorizeUrl({ client_id: hand.clientId, redirect_uri: hand.redirectUri, code_challenge: hand.challenge, resource: `${app.url}/mcp` }));
    const key = data<{ secret: string }>(await trpcMutation(ada, app.url, 'apiKeys.create', { name: 'not for consent' })).secret;
    const byKey = await fetch(`${app.url}/trpc/oauth.decide`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ requestId: other.requestId, approve: true, tenantId: CONTOSO.id }),
    });
    expect(byKey.status).toBe(403);
    expect((await trpcQuery(ada, app.url, 'oauth.consent', { requestId: other.requestId })).status).toBe(200);
  });

  it('refuses bad code exchanges with the RFC errors, and issues nothing', async () => {
    const hand = await handClient();
    const exchange = (code: string, extra: Record<string, string | undefined> = {}) =>
      postForm(`${app.url}/token`, { grant_type: 'authorization_code', code, client_id: hand.clientId, redirect_uri: hand.redirectUri, code_verifier: hand.verifier, ...extra });

    // Missing verifier or redirect URI: invalid_request, and the code is still good.
    const first = await handCode(hand);
    expect(first.decision.redirect.searchParams.get('state')).toBe('st-1');
    const grantId = (await app.db.orm.em.fork().execute<{ grant_id: string }[]>(`select grant_id from oauth_codes where code_hash = ?`, [hashToken(first.code)]))[0]!.grant_id;
    expect(await exchange(first.code, { code_verifier: undefined })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await exchange(first.code, { redirect_uri: undefined })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const [untouched] = await app.db.orm.em.fork().execute<{ used_at: Date | null }[]>(`select used_at from oauth_codes where code_hash = ?`, [hashToken(first.code)]);
    expect(untouched!.used_at).toBeNull();
    // Wrong verifier: invalid_grant, and the code is used up.
    expect(await exchange(first.code, { code_verifier: pkcePair().verifier })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await exchange(first.code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await tokenCount(grantId)).toBe(0);

    // Another client's code.
    const other = await handClient();
    const stolen = await handCode(hand);
    expect(await exchange(stolen.code, { client_id: other.clientId })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // Another redirect URI than the code's.
    const redirected = await handCode(hand);
    expect(await exchange(redirected.code, { redirect_uri: 'http://127.0.0.1:10/other' })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // Another resource than the code's.
    const retargeted = await handCode(hand);
    expect(await exchange(retargeted.code, { resource: `${app.url}/mcp/toy` })).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
    // Expired (60 s).
    const late = await handCode(hand);
    clock.advance(61_000);
    expect(await exchange(late.code)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.stringContaining('expired') } });
    expect(await tokenCount(grantId)).toBe(0);

    // A good exchange, then the same code again: refused, and the tokens it gave are revoked.
    const good = await handCode(hand);
    const tokens = await exchange(good.code, { resource: `${app.url}/mcp` });
    expect(tokens.status).toBe(200);
    expect((await callMcp(tokens.body.access_token as string)).status).toBe(200);
    expect(await exchange(good.code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await callMcp(tokens.body.access_token as string)).status).toBe(401);
  });

  it('registers public clients only, with safe redirect URIs', async () => {
    const accepted = await registerClient(app.url, {
      client_name: '<img src=x onerror=alert(1)>',
      redirect_uris: ['https://client.example/cb', 'http://localhost:33418/cb', 'http://[::1]:5000/cb', 'vscode://vscode.mcp/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({ token_endpoint_auth_method: 'none', client_name: '<img src=x onerror=alert(1)>' });
    expect(accepted.body.client_secret).toBeUndefined();
    for (const uri of ['javascript:alert(1)', 'data:text/html,hi', 'file:///etc/passwd', 'https://client.example/cb#frag', 'http://client.example/cb']) {
      const refused = await registerClient(app.url, { client_name: 'Bad', redirect_uris: [uri] });
      expect(refused.status, uri).toBe(400);
      expect(['invalid_redirect_uri', 'invalid_client_metadata'], uri).toContain(refused.body.error);
    }
    expect((await registerClient(app.url, { client_name: 'x'.repeat(201), redirect_uris: ['https://client.example/cb'] })).body.error).toBe('invalid_client_metadata');
    expect((await registerClient(app.url, { client_name: 'bidi\u202Eevil', redirect_uris: ['https://client.example/cb'] })).body.error).toBe('invalid_client_metadata');
    // What PostgreSQL cannot store, and what is too large to keep, are refused as metadata, not failed on (500).
    expect(await registerClient(app.url, { software_id: 'a\u0000b', redirect_uris: ['https://client.example/cb'] })).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
    expect(await registerClient(app.url, { scope: 'x'.repeat(9000), redirect_uris: ['https://client.example/cb'] })).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });
    for (const endpoint of ['/token', '/revoke']) {
      expect(await postForm(`${app.url}${endpoint}`, { grant_type: 'authorization_code', code: 'x', token: 'x', client_id: '\u0000' }), endpoint).toMatchObject({
        status: 400,
        body: { error: 'invalid_client' },
      });
    }
  });

  it('limits registrations per address in the shared store', async () => {
    // Stores of its own: this test's other registrations, from the same address, are not counted.
    const limited = await startTestApp({ env: { MREG_OAUTH_REGISTRATION_RATE_LIMIT: '2' } });
    try {
      const metadata = { client_name: 'Limited', redirect_uris: ['http://127.0.0.1:9/cb'] };
      expect((await registerClient(limited.url, metadata)).status).toBe(201);
      expect((await registerClient(limited.url, metadata)).status).toBe(201);
      const third = await registerClient(limited.url, metadata);
      expect(third.status).toBe(429);
      expect(third.body).toMatchObject({ error: 'too_many_requests', error_description: expect.stringContaining('MREG_OAUTH_REGISTRATION_RATE_LIMIT') });
    } finally {
      await limited.close();
    }
  });

  it('revokes tokens at /revoke (RFC 7009)', async () => {
    const { provider } = await connectWithOAuth(ada, FABRIKAM.id);
    const clientId = provider.info!.client_id;
    expect(await postForm(`${app.url}/revoke`, { token: provider.saved!.access_token, client_id: clientId })).toMatchObject({ status: 200 });
    expect((await callMcp(provider.saved!.access_token)).status).toBe(401);
    // The refresh token still works; revoking it ends the grant.
    const refreshed = await postForm(`${app.url}/token`, { grant_type: 'refresh_token', refresh_token: provider.saved!.refresh_token, client_id: clientId });
    expect(refreshed.status).toBe(200);
    expect((await callMcp(refreshed.body.access_token as string)).status).toBe(200);
    expect(await postForm(`${app.url}/revoke`, { token: refreshed.body.refresh_token as string, client_id: clientId })).toMatchObject({ status: 200 });
    expect((await callMcp(refreshed.body.access_token as string)).status).toBe(401);
    // Unknown tokens are answered alike.
    expect(await postForm(`${app.url}/revoke`, { token: 'mreg_at_nothing', client_id: clientId })).toMatchObject({ status: 200 });
  });

  it('cleans up expired requests, codes and tokens, dead grants and abandoned registrations', async () => {
    // The other tests' SDK clients would refresh on their own once the clock moves: they stop first.
    await Promise.all(clients.splice(0).map((client) => client.close()));
    const abandoned = await handClient();
    await openAuthorization(authorizeUrl({ client_id: abandoned.clientId, redirect_uri: abandoned.redirectUri, code_challenge: abandoned.challenge, resource: `${app.url}/mcp` }));
    // A client of its own, whose refresh token no SDK client of the other tests holds.
    const live = await handClient();
    const tokens = await postForm(`${app.url}/token`, {
      grant_type: 'authorization_code',
      code: (await handCode(live)).code,
      client_id: live.clientId,
      redirect_uri: live.redirectUri,
      code_verifier: live.verifier,
    });
    clock.advance(25 * 3600_000);
    // Refreshed a day later: the grant lives on; the first access token (15 minutes) is dead.
    const refreshed = await postForm(`${app.url}/token`, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string, client_id: live.clientId });
    expect(refreshed.status).toBe(200);
    const result = await app.cleanup.runNow();
    expect(result?.oauth).toBeGreaterThan(0);
    const em = app.db.orm.em.fork();
    const count = async (sql: string, params: unknown[] = []) => Number((await em.execute<{ count: string }[]>(`select count(*) from ${sql}`, params))[0]!.count);
    expect(await count(`oauth_requests where expires_at <= ?`, [clock()])).toBe(0);
    expect(await count(`oauth_codes where expires_at <= ?`, [clock()])).toBe(0);
    expect(await count(`oauth_tokens where expires_at <= ?`, [clock()])).toBe(0);
    expect(await count(`oauth_clients where id = ?`, [abandoned.clientId])).toBe(0);
    // An approved client stays, so that it can sign in again without registering anew.
    expect(await count(`oauth_clients where id = ?`, [live.clientId])).toBe(1);
    expect(await em.execute(`select revoked_at, revoked_reason from oauth_grants where revoked_at is not null`)).toEqual([]);
    expect((await callMcp(refreshed.body.access_token as string)).status).toBe(200);
  });
});
