import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiKeyCreated, AuditPage, OAuthGrant } from '@mreg/shared';
import type { Cache } from '../../cache/cache';
import { DEMO_TENANTS, guestUser } from '../../identity/demo-directory';
import { lastUseRecorder } from '../../lib/last-used';
import { hashToken } from '../../lib/tokens';
import { recordFirstKeyUse } from '../apikeys/apikeys.service';
import { CookieClient, type Hop } from '../../testing/cookie-client';
import { databaseMode, startTestApp, type TestApp } from '../../testing/harness';
import { openAuthorization, pkcePair } from '../../testing/oauth';
import { chooseUser, signInAs, signOut, startSignIn, trpcMutation, trpcQuery, type TrpcAnswer } from '../../testing/sign-in';

/**
 * The security events of sign-in, sessions, API keys and OAuth (issue 21), each done for real over
 * HTTP and then read from audit_events: exactly one event per change, with its tenant, actor,
 * target, outcome and reason, and where the request came from; none for a change that did not
 * happen, and never a secret.
 */

const [CONTOSO, FABRIKAM] = DEMO_TENANTS;
const UA = 'audit-events-test/1.0';
const REDIRECT = 'http://127.0.0.1:9/callback';

const env = { MREG_SIGN_IN_RATE_LIMIT: '1000', MREG_OAUTH_REGISTRATION_RATE_LIMIT: '1000', MREG_OAUTH_RATE_LIMIT: '10000' };
let app: TestApp;
/** Another instance on the same database and cache, admitting only Fabrikam's people at sign-in. */
let fabrikamOnly: TestApp;
const ids: Record<string, string> = {};

beforeAll(async () => {
  app = await startTestApp({ env });
  fabrikamOnly = await startTestApp({ sameStoresAs: app, env: { ...env, MREG_AZURE_ALLOWED_TENANTS: FABRIKAM.id } });
  for (const row of await app.db.orm.em.fork().execute<{ id: string; email: string }[]>(`select id, email from users`)) ids[row.email] = row.id;
});
afterAll(async () => {
  await fabrikamOnly?.close();
  await app?.close();
});

interface EventRow {
  id: string;
  tenant_id: string | null;
  actor_kind: string;
  actor_user_id: string | null;
  actor_label: string | null;
  actor_credential_id: string | null;
  action: string;
  target_kind: string | null;
  target_id: string | null;
  target_label: string | null;
  outcome: string;
  reason: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

const em = () => app.db.orm.em.fork();

/** The newest event's id: what a test's events come after. */
async function mark(): Promise<string> {
  const [row] = await em().execute<{ id: string }[]>(`select coalesce(max(id), 0)::text as id from audit_events`);
  return row!.id;
}

async function eventsAfter(after: string): Promise<EventRow[]> {
  return em().execute<EventRow[]>(
    `select id::text as id, tenant_id, actor_kind, actor_user_id, actor_label, actor_credential_id, action, target_kind, target_id, target_label,
            outcome, reason, ip, user_agent, request_id, details
       from audit_events where id > ? order by id`,
    [after],
  );
}

/** The one event of `action` written since `after`. */
async function theEvent(after: string, action: string): Promise<EventRow> {
  const events = (await eventsAfter(after)).filter((event) => event.action === action);
  expect(events, `${action} events`).toHaveLength(1);
  return events[0]!;
}

/** Written while serving `requestId`, from this test's loopback address and user agent. */
function fromRequest(event: EventRow, requestId: string | null | undefined) {
  expect(requestId).toBeTruthy();
  expect(event).toMatchObject({ request_id: requestId, user_agent: UA });
  expect(event.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
}

const requestIdOf = (hop: Pick<Hop, 'headers'>) => hop.headers.get('x-request-id');
const browser = () => new CookieClient({ 'user-agent': UA });
const signIn = (email: string) => signInAs(app.url, email, { client: browser() });
const query = (client: CookieClient, path: string, input?: unknown) => trpcQuery(client, app.url, path, input);
const mutate = (client: CookieClient, path: string, input?: unknown) => trpcMutation(client, app.url, path, input);
function data<T>(answer: TrpcAnswer): T {
  if (!answer.body.result) throw new Error(`expected a result, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.result.data as T;
}

/** The session cookie the browser holds now (a tenant switch gives a new one). */
async function cookieOf(client: CookieClient): Promise<string> {
  return (await client.cookie(app.url, 'mreg_session'))!.value;
}

async function sessionIdOf(token: string): Promise<string> {
  const [row] = await em().execute<{ id: string }[]>(`select id from enhanced_sessions where session_token = ?`, [hashToken(token)]);
  return row!.id;
}

/** A POST to the authorization server as an MCP client sends it, with a request id of our own. */
async function postToServer(path: string, body: Record<string, string | string[]>, form = true) {
  const requestId = `audit-${randomUUID()}`;
  const response = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json', 'user-agent': UA, 'x-request-id': requestId },
    body: form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, requestId };
}

async function registerClient(name: string) {
  const answer = await postToServer('/register', { client_name: name, redirect_uris: [REDIRECT] }, false);
  expect(answer.status).toBe(201);
  return { clientId: answer.body.client_id as string, requestId: answer.requestId };
}

/** /authorize for a registered client at /mcp: the consent request's id, and the PKCE verifier. */
async function authorizationRequest(clientId: string) {
  const { verifier, challenge } = pkcePair();
  const url = new URL(`${app.url}/authorize`);
  const params = { response_type: 'code', code_challenge_method: 'S256', client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, resource: `${app.url}/mcp` };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const { requestId } = await openAuthorization(url);
  expect(requestId).toBeTruthy();
  return { requestId: requestId!, verifier };
}

/** A client `person` approved for `tenantId`: its authorization code, the PKCE verifier, and the approval's answer. */
async function approvedClient(person: CookieClient, name: string, tenantId: string = CONTOSO.id) {
  const { clientId } = await registerClient(name);
  const { requestId, verifier } = await authorizationRequest(clientId);
  const decided = await mutate(person, 'oauth.decide', { requestId, approve: true, tenantId });
  const code = new URL(data<{ redirectTo: string }>(decided).redirectTo).searchParams.get('code')!;
  return { clientId, code, verifier, decided };
}

/** The code exchanged at /token, as `clientId` (the code's own client unless said otherwise). */
const exchangeCode = (approved: { clientId: string; code: string; verifier: string }, clientId = approved.clientId) =>
  postToServer('/token', { grant_type: 'authorization_code', code: approved.code, client_id: clientId, redirect_uri: REDIRECT, code_verifier: approved.verifier });

/** A client `person` approved for `tenantId`, its tokens, and the approval's answer. */
async function connectedClient(person: CookieClient, name: string, tenantId: string = CONTOSO.id) {
  const { clientId, code, verifier, decided } = await approvedClient(person, name, tenantId);
  const tokens = await exchangeCode({ clientId, code, verifier });
  expect(tokens.status).toBe(200);
  const [grant] = await em().execute<{ id: string }[]>(`select id from oauth_grants where client_id = ?`, [clientId]);
  return { clientId, grantId: grant!.id, decided, refreshToken: tokens.body.refresh_token as string };
}

describe(`audit events of sign-in, sessions, API keys and OAuth (${databaseMode})`, () => {
  beforeEach(async () => {
    await em().execute('delete from sign_in_requests');
  });

  describe('auth.sign_in', () => {
    it('a sign-in: in the session’s tenant, by the person, naming the new session, from the callback’s request', async () => {
      const before = await mark();
      const { token, callback } = await signIn('ada@contoso.test');
      const event = await theEvent(before, 'auth.sign_in');
      expect(event).toMatchObject({
        tenant_id: CONTOSO.id,
        actor_kind: 'user',
        actor_user_id: ids['ada@contoso.test'],
        actor_credential_id: null,
        target_kind: 'session',
        target_id: await sessionIdOf(token),
        outcome: 'success',
        reason: null,
      });
      fromRequest(event, requestIdOf(callback));
      expect((await eventsAfter(before)).map((e) => e.action)).toEqual(['auth.sign_in']);
      // Neither the session token nor anything of the provider's answer is kept.
      const code = new URL(callback.url).searchParams.get('code')!;
      expect(JSON.stringify(event)).not.toContain(token);
      expect(JSON.stringify(event)).not.toContain(code);
    });

    it('is in the tenant’s log: audit.list, for ada, who holds audit:read in Contoso', async () => {
      const { callback } = await signIn('uma@contoso.test');
      const { client: ada } = await signIn('ada@contoso.test');
      const page = data<AuditPage>(await query(ada, 'audit.list', { action: 'auth.sign_in', actorId: ids['uma@contoso.test'], limit: 1 }));
      expect(page.events[0]).toMatchObject({
        tenantId: CONTOSO.id,
        actor: { kind: 'user', userId: ids['uma@contoso.test'], name: 'Uma Umarova', email: 'uma@contoso.test', credentialId: null },
        action: 'auth.sign_in',
        target: { kind: 'session' },
        outcome: 'success',
        requestId: requestIdOf(callback),
        userAgent: UA,
      });
    });

    it('a sign-in whose caches cannot be told once it has committed: one success, and the person signed in', async () => {
      // An instance whose cache throws where it must not (a tombstone, a stale marker), while `failing`.
      let failing = false;
      const throwing = (cache: Cache) =>
        new Proxy(cache, {
          get(target, property) {
            const value = Reflect.get(target, property, target);
            if (typeof value !== 'function') return value;
            if (property !== 'setEventually') return value.bind(target);
            return async (...args: unknown[]) => {
              if (failing) throw new Error('the cache failed on purpose');
              return value.apply(target, args);
            };
          },
        });
      const broken = await startTestApp({ sameStoresAs: app, env, wrapCache: throwing });
      try {
        const client = browser();
        const { token: previous } = await signInAs(broken.url, 'uma@contoso.test', { client });
        failing = true;
        const before = await mark();
        // Signing in again ends the previous session (its tombstone), and refreshes Uma's others (stale markers).
        const { token, callback } = await signInAs(broken.url, 'uma@contoso.test', { client });
        failing = false;
        const events = await eventsAfter(before);
        expect(events.map((e) => [e.action, e.outcome])).toEqual([['auth.sign_in', 'success']]);
        expect(events[0]).toMatchObject({ actor_user_id: ids['uma@contoso.test'], target_id: await sessionIdOf(token) });
        fromRequest(events[0]!, requestIdOf(callback));
        expect(broken.logs.filter((line) => line.includes('the session cache could not be told')).length).toBeGreaterThan(0);
        expect(broken.logs.some((line) => line.includes('Sign-in failed'))).toBe(false);
        // Signed in with the new session; the one it replaced ended all the same.
        expect(data<{ user: { email: string } }>(await query(client, 'auth.user')).user.email).toBe('uma@contoso.test');
        expect(await em().execute(`select revoked_at is not null as ended from enhanced_sessions where session_token = ?`, [hashToken(previous)])).toEqual([{ ended: true }]);
      } finally {
        await broken.close();
      }
    });

    it('a callback that ends no sign-in records nothing: a bare visit, a state nobody sent, a replay', async () => {
      const visit = await startSignIn(app.url, browser());
      const callbackUrl = await chooseUser(visit, 'ada@contoso.test');
      expect((await visit.client.request(callbackUrl)).status).toBe(303);
      const before = await mark();
      const tries = [`${app.url}/auth/callback`, `${app.url}/auth/callback?state=${'x'.repeat(43)}&code=y`, `${app.url}/auth/callback?error=access_denied`, callbackUrl];
      for (const url of tries) {
        const hop = await browser().request(url);
        expect(hop.status, url).toBe(400);
        expect(hop.body).toContain('Reason: no_request');
      }
      // A pre-auth cookie MREG never issued is no sign-in either.
      const forged = new CookieClient({ 'user-agent': UA, cookie: `mreg_sign_in=${'y'.repeat(43)}` });
      expect((await forged.request(`${app.url}/auth/callback?state=${'x'.repeat(43)}`)).status).toBe(400);
      expect(await eventsAfter(before)).toEqual([]);
      // Still logged, as before.
      expect(app.logs.filter((line) => line.includes('"reason":"no_request"') && line.includes('Sign-in failed')).length).toBeGreaterThanOrEqual(tries.length + 1);
    });

    it('a sign-in that took too long: no_request, recorded, since its request was there to end', async () => {
      const visit = await startSignIn(app.url, browser());
      const callbackUrl = await chooseUser(visit, 'ada@contoso.test');
      await em().execute(`update sign_in_requests set expires_at = now() - interval '1 second'`);
      const before = await mark();
      const hop = await visit.client.request(callbackUrl);
      expect(hop.status).toBe(400);
      const event = await theEvent(before, 'auth.sign_in');
      expect(event).toMatchObject({ tenant_id: null, actor_kind: 'anonymous', actor_user_id: null, outcome: 'failure', reason: 'no_request' });
      fromRequest(event, requestIdOf(hop));
    });

    it('a callback without its cookie, for a sign-in started in another browser: that sign-in ends, a failure of nobody in no tenant', async () => {
      const visit = await startSignIn(app.url, browser());
      const callbackUrl = await chooseUser(visit, 'ada@contoso.test');
      const before = await mark();
      const hop = await browser().request(callbackUrl);
      expect(hop.status).toBe(400);
      const event = await theEvent(before, 'auth.sign_in');
      expect(event).toMatchObject({ tenant_id: null, actor_kind: 'anonymous', actor_user_id: null, actor_label: null, target_kind: null, outcome: 'failure', reason: 'no_request' });
      fromRequest(event, requestIdOf(hop));
      const { searchParams } = new URL(callbackUrl);
      expect(JSON.stringify(event)).not.toContain(searchParams.get('code')!);
      expect(JSON.stringify(event)).not.toContain(searchParams.get('state')!);
      expect(await em().execute(`select id from sign_in_requests`)).toEqual([]);
    });

    it('a state that is not the one sent: state_mismatch', async () => {
      const visit = await startSignIn(app.url, browser());
      const callbackUrl = new URL(await chooseUser(visit, 'ada@contoso.test'));
      callbackUrl.searchParams.set('state', 'x'.repeat(43));
      const before = await mark();
      const hop = await visit.client.request(callbackUrl.href);
      expect(hop.status).toBe(400);
      expect(await theEvent(before, 'auth.sign_in')).toMatchObject({ tenant_id: null, actor_kind: 'anonymous', outcome: 'failure', reason: 'state_mismatch' });
    });

    it('cancelled at the provider: a failure with the reason access_denied, and no session', async () => {
      const visit = await startSignIn(app.url, browser());
      const cancelled = await visit.client.request(`${visit.interactionUrl}/abort`, { method: 'POST' });
      const hops = await visit.client.follow(cancelled.location!, (next) => next.pathname === '/auth/callback');
      const before = await mark();
      const hop = await visit.client.request(hops.at(-1)!.location!);
      expect(hop.status).toBe(200);
      const event = await theEvent(before, 'auth.sign_in');
      expect(event).toMatchObject({ tenant_id: null, actor_kind: 'anonymous', actor_label: null, outcome: 'failure', reason: 'access_denied' });
      fromRequest(event, requestIdOf(hop));
    });

    it('an id_token for another attempt (nonce_mismatch, refused by msal before it is verified): nobody, no tenant', async () => {
      const visit = await startSignIn(app.url, browser());
      const callbackUrl = await chooseUser(visit, 'uma@contoso.test');
      await em().execute(`update sign_in_requests set nonce = 'another-attempt'`);
      const before = await mark();
      const hop = await visit.client.request(callbackUrl);
      expect(hop.status).toBe(400);
      // msal compares the nonce before MREG verifies the token: what it claims is not trusted, so not recorded.
      expect(await theEvent(before, 'auth.sign_in')).toMatchObject({ tenant_id: null, actor_kind: 'anonymous', actor_user_id: null, actor_label: null, outcome: 'failure', reason: 'nonce_mismatch' });
    });

    it('a tenant outside the allow-list: in the tenant the token claimed, by the person if known, else by the email they claimed', async () => {
      let before = await mark();
      const visit = await startSignIn(fabrikamOnly.url, browser());
      let hop = await visit.client.request(await chooseUser(visit, 'ada@contoso.test'));
      expect(hop.status).toBe(403);
      let event = await theEvent(before, 'auth.sign_in');
      expect(event).toMatchObject({ tenant_id: CONTOSO.id, actor_kind: 'user', actor_user_id: ids['ada@contoso.test'], actor_label: null, outcome: 'failure', reason: 'tenant_not_allowed' });
      fromRequest(event, requestIdOf(hop));

      const kim = guestUser('kim@northwind.test')!;
      before = await mark();
      const guest = await startSignIn(fabrikamOnly.url, browser());
      hop = await guest.client.request(await chooseUser(guest, kim.email));
      expect(hop.status).toBe(403);
      event = await theEvent(before, 'auth.sign_in');
      expect(event).toMatchObject({ tenant_id: kim.tid, actor_kind: 'anonymous', actor_user_id: null, actor_label: kim.email, outcome: 'failure', reason: 'tenant_not_allowed' });
      // Nobody was recorded as a user either.
      expect(await em().execute(`select id from users where external_id = ?`, [kim.oid])).toEqual([]);
    });
  });

  describe('member events at sign-in, by MREG from the directory', () => {
    it('a new person’s first sign-in: member.added in their home tenant; signing in again adds nobody', async () => {
      const lee = guestUser('lee@northwind.test')!;
      let before = await mark();
      const { callback } = await signIn(lee.email);
      const [user] = await em().execute<{ id: string }[]>(`select id from users where external_id = ?`, [lee.oid]);
      const event = await theEvent(before, 'member.added');
      expect(event).toMatchObject({
        tenant_id: lee.tid,
        actor_kind: 'system',
        actor_user_id: null,
        actor_label: null,
        actor_credential_id: null,
        target_kind: 'user',
        target_id: user!.id,
        target_label: lee.email,
        outcome: 'success',
        details: { role: 'member', source: 'directory' },
      });
      fromRequest(event, requestIdOf(callback));
      expect((await eventsAfter(before)).map((e) => e.action)).toEqual(['member.added', 'auth.sign_in']);
      expect(await em().execute(`select t.name from tenants t where t.id = ?`, [lee.tid])).toEqual([{ name: 'Northwind' }]);

      before = await mark();
      await signIn(lee.email);
      expect((await eventsAfter(before)).map((e) => e.action)).toEqual(['auth.sign_in']);
    });

    it('a role the directory sets again: member.role_changed with both roles; none where a tenant admin set the role', async () => {
      const vic = ids['vic@fabrikam.test']!;
      const membership = (set: string) => em().execute(`update user_tenant_memberships set ${set} where user_id = ? and tenant_id = ?`, [vic, FABRIKAM.id]);
      const role = async () => (await em().execute<{ role: string }[]>(`select role from user_tenant_memberships where user_id = ? and tenant_id = ?`, [vic, FABRIKAM.id]))[0]!.role;
      try {
        // Changed behind MREG's back: Vic's app role (viewer) puts it back at the next sign-in.
        await membership(`role = 'member'`);
        let before = await mark();
        const { callback } = await signIn('vic@fabrikam.test');
        expect(await role()).toBe('viewer');
        const event = await theEvent(before, 'member.role_changed');
        expect(event).toMatchObject({
          tenant_id: FABRIKAM.id,
          actor_kind: 'system',
          actor_user_id: null,
          target_kind: 'user',
          target_id: vic,
          target_label: 'vic@fabrikam.test',
          outcome: 'success',
          details: { role: 'viewer', previousRole: 'member', source: 'directory' },
        });
        fromRequest(event, requestIdOf(callback));
        expect((await eventsAfter(before)).map((e) => e.action)).toEqual(['member.role_changed', 'auth.sign_in']);

        // Set by a tenant admin: theirs stands, and nothing changed to record.
        await membership(`role = 'member', role_managed_by = 'tenant'`);
        before = await mark();
        await signIn('vic@fabrikam.test');
        expect(await role()).toBe('member');
        expect((await eventsAfter(before)).map((e) => e.action)).toEqual(['auth.sign_in']);
      } finally {
        await membership(`role = 'viewer', role_managed_by = 'directory'`);
      }
    });
  });

  describe('auth.sign_out and session.revoked', () => {
    it('signing out: in the session’s tenant, by its person; signing out again records nothing', async () => {
      const { client } = await signIn('ada@contoso.test');
      expect((await mutate(client, 'auth.switchTenant', { tenantId: FABRIKAM.id })).status).toBe(200);
      const token = await cookieOf(client);
      const sessionId = await sessionIdOf(token);
      const before = await mark();
      const hop = await signOut(client, app.url);
      expect(hop.status).toBe(200);
      const event = await theEvent(before, 'auth.sign_out');
      expect(event).toMatchObject({ tenant_id: FABRIKAM.id, actor_kind: 'user', actor_user_id: ids['ada@contoso.test'], target_kind: 'session', target_id: sessionId, outcome: 'success' });
      fromRequest(event, requestIdOf(hop));
      expect((await eventsAfter(before)).map((e) => e.action)).toEqual(['auth.sign_out']);

      const again = await mark();
      const stale = new CookieClient({ 'user-agent': UA, cookie: `mreg_session=${token}` });
      expect((await signOut(stale, app.url)).status).toBe(200);
      expect(await eventsAfter(again)).toEqual([]);
    });

    it('auth.revokeSession: one event naming the session and whose it was; another’s session or an ended one records nothing', async () => {
      const { client: here } = await signIn('ada@contoso.test');
      const { token: otherToken } = await signIn('ada@contoso.test');
      const otherId = await sessionIdOf(otherToken);
      const { client: uma } = await signIn('uma@contoso.test');

      let before = await mark();
      const refused = await mutate(uma, 'auth.revokeSession', { sessionId: otherId });
      expect(refused.body.error?.data.code).toBe('NOT_FOUND');
      expect(await eventsAfter(before)).toEqual([]);

      before = await mark();
      const revoked = await mutate(here, 'auth.revokeSession', { sessionId: otherId });
      expect(data<{ signedOut: boolean }>(revoked).signedOut).toBe(false);
      const event = await theEvent(before, 'session.revoked');
      expect(event).toMatchObject({
        tenant_id: CONTOSO.id,
        actor_kind: 'user',
        actor_user_id: ids['ada@contoso.test'],
        target_kind: 'session',
        target_id: otherId,
        outcome: 'success',
        details: { userId: ids['ada@contoso.test'] },
      });
      fromRequest(event, requestIdOf(revoked.hop));
      expect(await eventsAfter(before)).toHaveLength(1);

      before = await mark();
      expect((await mutate(here, 'auth.revokeSession', { sessionId: otherId })).body.error?.data.code).toBe('NOT_FOUND');
      expect(await eventsAfter(before)).toEqual([]);
    });

    it('auth.revokeOtherSessions: one event per session ended, each in its own tenant', async () => {
      const { client: here, token: hereToken } = await signIn('ada@contoso.test');
      const { token: contosoToken } = await signIn('ada@contoso.test');
      const { client: fab } = await signIn('ada@contoso.test');
      expect((await mutate(fab, 'auth.switchTenant', { tenantId: FABRIKAM.id })).status).toBe(200);
      const fabId = await sessionIdOf(await cookieOf(fab));
      const contosoId = await sessionIdOf(contosoToken);

      const before = await mark();
      const answer = await mutate(here, 'auth.revokeOtherSessions');
      const { revoked } = data<{ revoked: number }>(answer);
      const events = (await eventsAfter(before)).filter((e) => e.action === 'session.revoked');
      // Every other session of ada's ends (earlier tests left some): one event each, none twice.
      expect(events).toHaveLength(revoked);
      expect(new Set(events.map((e) => e.target_id)).size).toBe(revoked);
      expect(events.map((e) => e.target_id)).not.toContain(await sessionIdOf(hereToken));
      expect(events.find((e) => e.target_id === contosoId)).toMatchObject({ tenant_id: CONTOSO.id, actor_user_id: ids['ada@contoso.test'] });
      expect(events.find((e) => e.target_id === fabId)).toMatchObject({ tenant_id: FABRIKAM.id, actor_user_id: ids['ada@contoso.test'] });
      for (const event of events) fromRequest(event, requestIdOf(answer.hop));

      const again = await mark();
      expect(data<{ revoked: number }>(await mutate(here, 'auth.revokeOtherSessions')).revoked).toBe(0);
      expect(await eventsAfter(again)).toEqual([]);
    });

    it('tenants.revokeMemberSessions: by the admin, in the active tenant, one event per session of the member', async () => {
      const { client: ada } = await signIn('ada@contoso.test');
      const { token: one } = await signIn('uma@contoso.test');
      const { token: two } = await signIn('uma@contoso.test');
      const before = await mark();
      const answer = await mutate(ada, 'tenants.revokeMemberSessions', { userId: ids['uma@contoso.test'] });
      const { revoked } = data<{ revoked: number }>(answer);
      const events = (await eventsAfter(before)).filter((e) => e.action === 'session.revoked');
      expect(events).toHaveLength(revoked);
      expect(events.map((e) => e.target_id)).toEqual(expect.arrayContaining([await sessionIdOf(one), await sessionIdOf(two)]));
      for (const event of events) {
        expect(event).toMatchObject({ tenant_id: CONTOSO.id, actor_kind: 'user', actor_user_id: ids['ada@contoso.test'], target_kind: 'session', details: { userId: ids['uma@contoso.test'] } });
        fromRequest(event, requestIdOf(answer.hop));
      }

      const again = await mark();
      expect(data<{ revoked: number }>(await mutate(ada, 'tenants.revokeMemberSessions', { userId: ids['uma@contoso.test'] })).revoked).toBe(0);
      expect(await eventsAfter(again)).toEqual([]);
    });
  });

  describe('API keys', () => {
    it('api_key.created and api_key.revoked by the owner; revoking again, or someone else’s key, records nothing', async () => {
      const { client: ada } = await signIn('ada@contoso.test');
      let before = await mark();
      const made = await mutate(ada, 'apiKeys.create', { name: 'Audit deploys', expiresInDays: 7 });
      const { apiKey, secret } = data<ApiKeyCreated>(made);
      let event = await theEvent(before, 'api_key.created');
      expect(event).toMatchObject({
        tenant_id: CONTOSO.id,
        actor_kind: 'user',
        actor_user_id: ids['ada@contoso.test'],
        target_kind: 'api_key',
        target_id: apiKey.id,
        target_label: 'Audit deploys',
        outcome: 'success',
        details: { expiresAt: apiKey.expiresAt },
      });
      fromRequest(event, requestIdOf(made.hop));
      expect(JSON.stringify(event)).not.toContain(secret.slice(13));

      const { client: uma } = await signIn('uma@contoso.test');
      before = await mark();
      expect((await mutate(uma, 'apiKeys.revoke', { id: apiKey.id })).body.error?.data.code).toBe('NOT_FOUND');
      expect(await eventsAfter(before)).toEqual([]);

      before = await mark();
      const revoked = await mutate(ada, 'apiKeys.revoke', { id: apiKey.id });
      expect(revoked.status).toBe(200);
      event = await theEvent(before, 'api_key.revoked');
      expect(event).toMatchObject({ tenant_id: CONTOSO.id, actor_kind: 'user', actor_user_id: ids['ada@contoso.test'], target_kind: 'api_key', target_id: apiKey.id, target_label: 'Audit deploys' });
      fromRequest(event, requestIdOf(revoked.hop));
      expect(await eventsAfter(before)).toHaveLength(1);

      before = await mark();
      expect((await mutate(ada, 'apiKeys.revoke', { id: apiKey.id })).body.error?.data.code).toBe('NOT_FOUND');
      expect(await eventsAfter(before)).toEqual([]);
    });

    it('api_key.first_used: once, by the key for its owner, from a request that first used it, however many came at once', async () => {
      const { client: uma } = await signIn('uma@contoso.test');
      const { apiKey, secret } = data<ApiKeyCreated>(await mutate(uma, 'apiKeys.create', { name: 'Audit first use' }));
      const before = await mark();
      const use = (baseUrl: string) => fetch(`${baseUrl}/trpc/apiKeys.list`, { headers: { authorization: `Bearer ${secret}`, 'user-agent': UA } });
      const answers = await Promise.all([app.url, fabrikamOnly.url, app.url, fabrikamOnly.url, app.url, fabrikamOnly.url].map(use));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
      const firstUses = async () => (await eventsAfter(before)).filter((e) => e.action === 'api_key.first_used');
      await expect.poll(async () => (await firstUses()).length).toBe(1);
      const [lastUsed] = await em().execute<{ last_used_at: Date | null }[]>(`select last_used_at from api_keys where id = ?`, [apiKey.id]);
      expect(lastUsed!.last_used_at).not.toBeNull();
      // The other writes, had they not been skipped, have had time to land: still one.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const [event] = await firstUses();
      expect(await firstUses()).toHaveLength(1);
      expect(event).toMatchObject({
        tenant_id: CONTOSO.id,
        actor_kind: 'api_key',
        actor_user_id: ids['uma@contoso.test'],
        actor_credential_id: apiKey.id,
        target_kind: 'api_key',
        target_id: apiKey.id,
        target_label: 'Audit first use',
        outcome: 'success',
      });
      fromRequest(event!, answers.map((answer) => answer.headers.get('x-request-id')).find((id) => id === event!.request_id));

      // Later uses are no first use.
      const later = await mark();
      expect((await use(app.url)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await eventsAfter(later)).filter((e) => e.action === 'api_key.first_used')).toEqual([]);
    });

    it('api_key.first_used: once when processes that each remember nothing of the key note its first use at once', async () => {
      // Two instances in this one test process share the recorder's memory; these two do not, as processes would.
      const { client: uma } = await signIn('uma@contoso.test');
      const { apiKey } = data<ApiKeyCreated>(await mutate(uma, 'apiKeys.create', { name: 'Audit racing first use' }));
      const processes = [lastUseRecorder('api_keys', recordFirstKeyUse), lastUseRecorder('api_keys', recordFirstKeyUse), lastUseRecorder('api_keys', recordFirstKeyUse)];
      const before = await mark();
      const now = Date.now();
      await Promise.all(processes.map((noteUse) => noteUse(em(), apiKey.id, now)));
      const events = (await eventsAfter(before)).filter((e) => e.action === 'api_key.first_used');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ actor_kind: 'api_key', actor_credential_id: apiKey.id, tenant_id: CONTOSO.id, target_id: apiKey.id });
      const [row] = await em().execute<{ last_used_at: Date }[]>(`select last_used_at from api_keys where id = ?`, [apiKey.id]);
      expect(new Date(row!.last_used_at).getTime()).toBe(now);
    });
  });

  describe('OAuth', () => {
    it('oauth.client_registered: in no tenant, by nobody known but the name it gave, from the /register request', async () => {
      const before = await mark();
      const { clientId, requestId } = await registerClient('Audit registered client');
      const event = await theEvent(before, 'oauth.client_registered');
      expect(event).toMatchObject({
        tenant_id: null,
        actor_kind: 'anonymous',
        actor_user_id: null,
        actor_label: 'Audit registered client',
        target_kind: 'oauth_client',
        target_id: clientId,
        target_label: 'Audit registered client',
        outcome: 'success',
        details: { redirectHosts: ['127.0.0.1:9'] },
      });
      fromRequest(event, requestId);
    });

    it('oauth.grant_approved in the tenant chosen; oauth.grant_denied in the person’s active tenant', async () => {
      const { client: ada } = await signIn('ada@contoso.test');
      let before = await mark();
      const { clientId, grantId, decided } = await connectedClient(ada, 'Audit approved client', FABRIKAM.id);
      let event = await theEvent(before, 'oauth.grant_approved');
      expect(event).toMatchObject({
        tenant_id: FABRIKAM.id,
        actor_kind: 'user',
        actor_user_id: ids['ada@contoso.test'],
        target_kind: 'grant',
        target_id: grantId,
        target_label: 'Audit approved client',
        outcome: 'success',
        details: { clientId, resource: `${app.url}/mcp` },
      });
      fromRequest(event, requestIdOf(decided.hop));

      const denied = await registerClient('Audit denied client');
      const { requestId } = await authorizationRequest(denied.clientId);
      before = await mark();
      const answer = await mutate(ada, 'oauth.decide', { requestId, approve: false });
      expect(new URL(data<{ redirectTo: string }>(answer).redirectTo).searchParams.get('error')).toBe('access_denied');
      event = await theEvent(before, 'oauth.grant_denied');
      expect(event).toMatchObject({
        tenant_id: CONTOSO.id,
        actor_kind: 'user',
        actor_user_id: ids['ada@contoso.test'],
        target_kind: 'oauth_client',
        target_id: denied.clientId,
        target_label: 'Audit denied client',
        outcome: 'success',
      });
      fromRequest(event, requestIdOf(answer.hop));
      expect(await eventsAfter(before)).toHaveLength(1);
      // No grant was made.
      expect(await em().execute(`select id from oauth_grants where client_id = ?`, [denied.clientId])).toEqual([]);
    });

    it('oauth.refresh_reuse: refused, by the client for its person, naming the grant it revoked, from the /token request', async () => {
      const { client: ada } = await signIn('ada@contoso.test');
      const { clientId, grantId, refreshToken } = await connectedClient(ada, 'Audit reusing client');
      const refreshed = await postToServer('/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
      expect(refreshed.status).toBe(200);
      const before = await mark();
      const reused = await postToServer('/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
      expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      const event = await theEvent(before, 'oauth.refresh_reuse');
      expect(event).toMatchObject({
        tenant_id: CONTOSO.id,
        actor_kind: 'oauth_client',
        actor_user_id: ids['ada@contoso.test'],
        actor_credential_id: clientId,
        target_kind: 'grant',
        target_id: grantId,
        outcome: 'refused',
        reason: 'refresh_token_reused',
      });
      fromRequest(event, reused.requestId);
      expect(JSON.stringify(event)).not.toContain(refreshToken.slice(8));
      // The revocation it records is the only event: no oauth.grant_revoked besides.
      expect(await eventsAfter(before)).toHaveLength(1);

      // The grant is revoked: presenting the newer token changes nothing more, and records nothing.
      const again = await mark();
      expect((await postToServer('/token', { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token as string, client_id: clientId })).status).toBe(400);
      expect(await eventsAfter(again)).toEqual([]);
    });

    it('oauth.grant_revoked for a code presented again: refused (code_reused), by the client for its person, with the grant it revoked', async () => {
      const { client: uma } = await signIn('uma@contoso.test');
      const approved = await approvedClient(uma, 'Audit code-replaying client');
      const tokens = await exchangeCode(approved);
      expect(tokens.status).toBe(200);
      const [grant] = await em().execute<{ id: string }[]>(`select id from oauth_grants where client_id = ?`, [approved.clientId]);
      const grantId = grant!.id;
      const before = await mark();
      const replayed = await exchangeCode(approved);
      expect(replayed).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      const event = await theEvent(before, 'oauth.grant_revoked');
      expect(event).toMatchObject({
        tenant_id: CONTOSO.id,
        actor_kind: 'oauth_client',
        actor_user_id: ids['uma@contoso.test'],
        actor_credential_id: approved.clientId,
        target_kind: 'grant',
        target_id: grantId,
        target_label: 'Audit code-replaying client',
        outcome: 'refused',
        reason: 'code_reused',
        details: {},
      });
      fromRequest(event, replayed.requestId);
      expect(await eventsAfter(before)).toHaveLength(1);
      expect(JSON.stringify(event)).not.toContain(approved.code);
      // The grant it records is revoked, and what it issued with it: the refresh token is refused.
      expect(await em().execute(`select revoked_reason from oauth_grants where id = ?`, [grantId])).toEqual([{ revoked_reason: 'code_reused' }]);
      const again = await mark();
      expect((await postToServer('/token', { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string, client_id: approved.clientId })).status).toBe(400);
      // The code a third time: the grant is revoked already, so nothing changes and nothing is recorded.
      expect((await exchangeCode(approved)).status).toBe(400);
      expect(await eventsAfter(again)).toEqual([]);
    });

    it('oauth.grant_revoked for a code another client presents again: still the grant’s client for its person, and who presented it', async () => {
      const { client: uma } = await signIn('uma@contoso.test');
      const approved = await approvedClient(uma, 'Audit client whose code leaked');
      expect((await exchangeCode(approved)).status).toBe(200);
      const other = await registerClient('Audit client holding a leaked code');
      const before = await mark();
      expect(await exchangeCode(approved, other.clientId)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      expect(await theEvent(before, 'oauth.grant_revoked')).toMatchObject({
        actor_kind: 'oauth_client',
        actor_user_id: ids['uma@contoso.test'],
        actor_credential_id: approved.clientId,
        outcome: 'refused',
        reason: 'code_reused',
        details: { presentedBy: other.clientId },
      });
      expect(await eventsAfter(before)).toHaveLength(1);
    });

    it('oauth.grant_revoked by the client (RFC 7009), once: revoking again records nothing', async () => {
      const { client: uma } = await signIn('uma@contoso.test');
      const { clientId, grantId, refreshToken } = await connectedClient(uma, 'Audit self-revoking client');
      const before = await mark();
      const revoked = await postToServer('/revoke', { token: refreshToken, client_id: clientId });
      expect(revoked.status).toBe(200);
      const event = await theEvent(before, 'oauth.grant_revoked');
      expect(event).toMatchObject({
        tenant_id: CONTOSO.id,
        actor_kind: 'oauth_client',
        actor_user_id: ids['uma@contoso.test'],
        actor_credential_id: clientId,
        target_kind: 'grant',
        target_id: grantId,
        target_label: 'Audit self-revoking client',
        outcome: 'success',
      });
      fromRequest(event, revoked.requestId);

      const again = await mark();
      expect((await postToServer('/revoke', { token: refreshToken, client_id: clientId })).status).toBe(200);
      expect(await eventsAfter(again)).toEqual([]);
    });

    it('oauth.grant_revoked by the person (auth.revokeGrant) and by a tenant admin (tenants.revokeMemberGrant)', async () => {
      const { client: uma } = await signIn('uma@contoso.test');
      const mine = await connectedClient(uma, 'Audit client uma revokes');
      let before = await mark();
      let answer = await mutate(uma, 'auth.revokeGrant', { grantId: mine.grantId });
      expect(answer.status).toBe(200);
      let event = await theEvent(before, 'oauth.grant_revoked');
      expect(event).toMatchObject({
        tenant_id: CONTOSO.id,
        actor_kind: 'user',
        actor_user_id: ids['uma@contoso.test'],
        actor_credential_id: null,
        target_kind: 'grant',
        target_id: mine.grantId,
        details: { userId: ids['uma@contoso.test'], clientId: mine.clientId },
      });
      fromRequest(event, requestIdOf(answer.hop));
      before = await mark();
      expect((await mutate(uma, 'auth.revokeGrant', { grantId: mine.grantId })).body.error?.data.code).toBe('NOT_FOUND');
      expect(await eventsAfter(before)).toEqual([]);

      const theirs = await connectedClient(uma, 'Audit client ada revokes');
      const { client: ada } = await signIn('ada@contoso.test');
      expect(data<OAuthGrant[]>(await query(ada, 'tenants.memberGrants', { userId: ids['uma@contoso.test'] })).map((g) => g.id)).toContain(theirs.grantId);
      before = await mark();
      answer = await mutate(ada, 'tenants.revokeMemberGrant', { userId: ids['uma@contoso.test'], grantId: theirs.grantId });
      expect(answer.status).toBe(200);
      event = await theEvent(before, 'oauth.grant_revoked');
      expect(event).toMatchObject({
        tenant_id: CONTOSO.id,
        actor_kind: 'user',
        actor_user_id: ids['ada@contoso.test'],
        target_kind: 'grant',
        target_id: theirs.grantId,
        target_label: 'Audit client ada revokes',
        details: { userId: ids['uma@contoso.test'], clientId: theirs.clientId },
      });
      fromRequest(event, requestIdOf(answer.hop));
      before = await mark();
      expect((await mutate(ada, 'tenants.revokeMemberGrant', { userId: ids['uma@contoso.test'], grantId: theirs.grantId })).body.error?.data.code).toBe('NOT_FOUND');
      expect(await eventsAfter(before)).toEqual([]);
    });
  });
});
