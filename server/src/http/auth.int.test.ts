import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_TENANTS } from '../identity/demo-directory';
import { hashToken } from '../lib/tokens';
import { CookieClient } from '../testing/cookie-client';
import { databaseMode, startTestApp, type TestApp } from '../testing/harness';
import { chooseUser, signInAs, startSignIn, trpcMutation, trpcQuery } from '../testing/sign-in';
import { expectRefusedSignIn, signInRows } from '../testing/sign-in-checks';

/** The whole code flow against the development provider on loopback, over HTTP, with msal for real. */

let app: TestApp;
beforeAll(async () => {
  // Dozens of sign-ins a minute from one address: above the default limit (tested in auth-policy).
  app = await startTestApp({ env: { MREG_SIGN_IN_RATE_LIMIT: '1000' } });
});
afterAll(async () => {
  await app?.close();
});

const [CONTOSO, FABRIKAM] = DEMO_TENANTS;

describe(`sign-in with the development provider (${databaseMode})`, () => {
  it('lists the demo users on the interaction page', async () => {
    const { interactionPage, interactionUrl } = await startSignIn(app.url);
    expect(new URL(interactionUrl).pathname).toMatch(/^\/dev-idp\/interaction\/[\w-]+$/);
    for (const email of ['ada@contoso.test', 'uma@contoso.test', 'vic@fabrikam.test']) {
      expect(interactionPage.body).toContain(email);
    }
    expect(interactionPage.body).toContain(`action="${new URL(interactionUrl).pathname}/login"`);
  });

  it('redirects to the authorization endpoint with the code flow and PKCE S256', async () => {
    const client = new CookieClient();
    const login = await client.request(`${app.url}/auth/login`);
    expect(login.status).toBe(302);
    const url = new URL(login.location!);
    expect(`${url.origin}${url.pathname}`).toBe(`${app.url}/dev-idp/auth`);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('redirect_uri')).toBe(`${app.url}/auth/callback`);
    expect(url.searchParams.get('prompt')).toBe('select_account');
    const cookie = login.setCookies.find((c) => c.key === 'mreg_sign_in')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/', secure: false });
    expect(cookie.maxAge).toBe(600);
  });

  it.each([
    ['ada@contoso.test', 'Ada Lovelace', CONTOSO, 'admin', true],
    ['uma@contoso.test', 'Uma Umarova', CONTOSO, 'member', false],
    ['vic@fabrikam.test', 'Vic Vance', FABRIKAM, 'viewer', false],
  ] as const)('signs in %s and auth.user shows them, their tenant and role', async (email, name, tenant, role, isAdmin) => {
    const { client, callback } = await signInAs(app.url, email);
    expect(callback.status).toBe(303);
    expect(callback.location).toBe(`${app.url}/dashboard`);

    const me = await trpcQuery(client, app.url, 'auth.user');
    expect(me.status).toBe(200);
    const data = me.body.result!.data as Record<string, any>;
    expect(data.user).toMatchObject({ email, name, tenantId: tenant.id });
    expect(data.tenantContext).toMatchObject({ tenantId: tenant.id, tenantName: tenant.name, role, isAdmin });
    expect(data.permissions).toEqual(data.tenantContext.permissions);
    expect(data.permissions).toContain('registry:read');
    expect(data.permissions.includes('members:manage')).toBe(isAdmin);
    expect(data.profile).toMatchObject({ displayName: null, bio: null });
    expect(data.preferences).toEqual({});
    expect(Date.parse(data.sessionInfo.expiresAt) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
  });

  it('signs in again as the same user without creating a second user or membership', async () => {
    await signInAs(app.url, 'uma@contoso.test');
    const [row] = await app.db.orm.em.fork().execute<{ users: string; memberships: string }[]>(
      `select (select count(*) from users where email = 'uma@contoso.test') as users,
              (select count(*) from user_tenant_memberships m join users u on u.id = m.user_id where u.email = 'uma@contoso.test') as memberships`,
    );
    expect(row).toEqual({ users: '1', memberships: '1' });
  });

  it('does not reactivate a home-tenant membership an admin deactivated', async () => {
    await signInAs(app.url, 'uma@contoso.test');
    const em = app.db.orm.em.fork();
    await em.execute(
      `update user_tenant_memberships set is_active = false where user_id = (select id from users where email = 'uma@contoso.test')`,
    );
    try {
      const { client } = await signInAs(app.url, 'uma@contoso.test');
      const me = (await trpcQuery(client, app.url, 'auth.user')).body.result!.data as Record<string, unknown>;
      expect(me.tenantContext).toBeNull();
      expect(me.permissions).toEqual([]);
    } finally {
      await em.execute(
        `update user_tenant_memberships set is_active = true where user_id = (select id from users where email = 'uma@contoso.test')`,
      );
    }
  });

  it('sends the person back to a same-site returnTo', async () => {
    const { callback } = await signInAs(app.url, 'uma@contoso.test', { loginPath: `/auth/login?returnTo=${encodeURIComponent('/servers?tab=tools')}` });
    expect(callback.location).toBe(`${app.url}/servers?tab=tools`);
  });

  it.each(['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'dashboard', '/a\nb'])(
    'refuses returnTo %j before anything starts',
    async (returnTo) => {
      const before = await signInRows(app);
      const client = new CookieClient();
      const hop = await client.request(`${app.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
      expect(hop.status).toBe(400);
      expect(hop.body).toContain('must be a path on this site');
      expect(hop.setCookies).toEqual([]);
      expect(await signInRows(app)).toEqual(before);
    },
  );

  it('sets the session cookie HttpOnly, SameSite=Lax, Path=/, and stores only its SHA-256', async () => {
    const { callback, token } = await signInAs(app.url, 'ada@contoso.test');
    const cookie = callback.setCookies.find((c) => c.key === 'mreg_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/', secure: false });
    // The browser keeps it for the absolute lifetime; the server decides expiry on every request.
    expect(cookie.maxAge).toBe(168 * 3600);
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(callback.location).not.toContain(token);
    // The sign-in cookie is spent.
    expect(callback.setCookies.find((c) => c.key === 'mreg_sign_in')?.value).toBe('');

    const em = app.db.orm.em.fork();
    const anywhere = await em.execute(`select count(*)::int as n from enhanced_sessions s where s::text like ?`, [`%${token}%`]);
    expect(anywhere[0]!.n).toBe(0);
    const byHash = await em.execute(`select user_agent, ip_address, oauth_token_hash from enhanced_sessions where session_token = ?`, [hashToken(token)]);
    expect(byHash).toHaveLength(1);
    expect(byHash[0]!.ip_address).toMatch(/127\.0\.0\.1/);
    expect(byHash[0]!.oauth_token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(app.logs.join('\n')).not.toContain(token);
  });

  it('never adopts a session cookie set before sign-in (fixation), and ends the session it named', async () => {
    const attacker = await signInAs(app.url, 'vic@fabrikam.test');
    const victim = new CookieClient();
    await victim.jar.setCookie(`mreg_session=${attacker.token}; Path=/; HttpOnly`, app.url);
    const { token } = await signInAs(app.url, 'ada@contoso.test', { client: victim });
    expect(token).not.toBe(attacker.token);

    const me = await trpcQuery(victim, app.url, 'auth.user');
    expect((me.body.result!.data as any).user.email).toBe('ada@contoso.test');
    const planted = await trpcQuery(attacker.client, app.url, 'auth.user');
    expect(planted.status).toBe(401);

    const unknown = new CookieClient();
    await unknown.jar.setCookie('mreg_session=planted-by-someone-else-0000000000000000000; Path=/', app.url);
    const fresh = await signInAs(app.url, 'uma@contoso.test', { client: unknown });
    expect(fresh.token).not.toBe('planted-by-someone-else-0000000000000000000');
  });

  it('treats a session expired in the database as none', async () => {
    // Before its first use, so that the lookup reads the database (sessions.int.test.ts moves time instead).
    const { client, token } = await signInAs(app.url, 'uma@contoso.test');
    await app.db.orm.em.fork().execute(`update enhanced_sessions set expires_at = now() - interval '1 second' where session_token = ?`, [
      hashToken(token),
    ]);
    expect((await trpcQuery(client, app.url, 'auth.user')).status).toBe(401);
  });

  it('the development provider refuses an authorization request without PKCE', async () => {
    const client = new CookieClient();
    const login = new URL((await client.request(`${app.url}/auth/login`)).location!);
    login.searchParams.delete('code_challenge');
    login.searchParams.delete('code_challenge_method');
    const refused = await client.request(login.href);
    // oidc-provider sends the error back to the client's redirect URI.
    const back = new URL(refused.location!);
    expect(`${back.origin}${back.pathname}`).toBe(`${app.url}/auth/callback`);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/requires PKCE/);
  });

  it('answers auth.user with UNAUTHORIZED without a session, or with a made-up one', async () => {
    expect((await trpcQuery(new CookieClient(), app.url, 'auth.user')).status).toBe(401);
    const forged = new CookieClient({ cookie: `mreg_session=${'A'.repeat(43)}` });
    const answer = await trpcQuery(forged, app.url, 'auth.user');
    expect(answer.status).toBe(401);
    expect(answer.body.error!.data.code).toBe('UNAUTHORIZED');
  });

  it('logs out: the session is revoked, the cookie cleared, and the same cookie is useless afterwards', async () => {
    const { client, token } = await signInAs(app.url, 'uma@contoso.test');
    const headers = { origin: app.url, 'x-mreg-csrf': '1', accept: 'application/json' };

    const foreign = await client.request(`${app.url}/auth/logout`, { method: 'POST', headers: { ...headers, origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toContain('http://evil.example');
    const noHeader = await client.request(`${app.url}/auth/logout`, { method: 'POST', headers: { origin: app.url } });
    expect(noHeader.status).toBe(403);
    expect(noHeader.body).toContain('x-mreg-csrf');
    expect((await trpcQuery(client, app.url, 'auth.user')).status).toBe(200);

    const out = await client.request(`${app.url}/auth/logout`, { method: 'POST', headers });
    expect(out.status).toBe(200);
    expect(JSON.parse(out.body)).toEqual({ signedOut: true, endSessionUrl: null });
    expect(out.setCookies.find((c) => c.key === 'mreg_session')?.value).toBe('');

    const replay = new CookieClient({ cookie: `mreg_session=${token}` });
    expect((await trpcQuery(replay, app.url, 'auth.user')).status).toBe(401);
    const [row] = await app.db.orm.em.fork().execute(`select revoked_at from enhanced_sessions where session_token = ?`, [hashToken(token)]);
    expect(row!.revoked_at).not.toBeNull();

    // A form-style caller (a script sending the CSRF headers) gets a redirect home.
    const again = await signInAs(app.url, 'uma@contoso.test');
    const redirected = await again.client.request(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-origin', 'x-mreg-csrf': '1', accept: 'text/html' },
    });
    expect(redirected.status).toBe(303);
    expect(redirected.location).toBe(`${app.url}/`);
    expect((await trpcQuery(again.client, app.url, 'auth.user')).status).toBe(401);
  });
});

describe('CSRF on tRPC', () => {
  it('refuses a cookie-authenticated POST from another origin or without the header, and lets the app through', async () => {
    const { token } = await signInAs(app.url, 'uma@contoso.test');
    const post = (headers: Record<string, string>) =>
      fetch(`${app.url}/trpc/config.features`, {
        method: 'POST',
        headers: { cookie: `mreg_session=${token}`, 'content-type': 'application/json', ...headers },
        body: '{}',
      });
    const foreign = await post({ origin: 'http://evil.example', 'x-mreg-csrf': '1' });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: unknown }).error).toMatchObject({ message: expect.stringContaining('http://evil.example'), data: { code: 'FORBIDDEN' } });
    expect((await post({ origin: app.url })).status).toBe(403);
    // Past the check, tRPC itself answers: config.features is a query, so POST is not allowed.
    expect((await post({ origin: app.url, 'x-mreg-csrf': '1' })).status).toBe(405);
  });
});

describe('refused sign-ins end on a readable page, with no session and no sign-in request left', () => {
  // Sign-ins the tests above started and never finished would be counted too.
  beforeEach(async () => {
    await app.db.orm.em.fork().execute('delete from sign_in_requests');
  });

  it('a callback without the sign-in cookie', async () => {
    const visit = await startSignIn(app.url);
    const callbackUrl = await chooseUser(visit, 'ada@contoso.test');
    const before = await signInRows(app);
    const hop = await new CookieClient().request(callbackUrl);
    await expectRefusedSignIn(app, hop, { status: 400, reason: 'no_request', sessionsBefore: before.sessions, says: /Start again/ });
  });

  it('a state that is not the one sent', async () => {
    const visit = await startSignIn(app.url);
    const callbackUrl = new URL(await chooseUser(visit, 'ada@contoso.test'));
    callbackUrl.searchParams.set('state', 'x'.repeat(43));
    const before = await signInRows(app);
    const hop = await visit.client.request(callbackUrl.href);
    // The request is found by its cookie and consumed; the wrong state ends it.
    await expectRefusedSignIn(app, hop, { status: 400, reason: 'state_mismatch', sessionsBefore: before.sessions });
  });

  it('a callback used twice (state reused)', async () => {
    const visit = await startSignIn(app.url);
    const callbackUrl = await chooseUser(visit, 'ada@contoso.test');
    expect((await visit.client.request(callbackUrl)).status).toBe(303);
    const before = await signInRows(app);
    const replay = await new CookieClient().request(callbackUrl);
    await expectRefusedSignIn(app, replay, { status: 400, reason: 'no_request', sessionsBefore: before.sessions });
  });

  it('a code replayed in a new sign-in is refused by the provider', async () => {
    const first = await startSignIn(app.url);
    const used = new URL(await chooseUser(first, 'ada@contoso.test'));
    expect((await first.client.request(used.href)).status).toBe(303);

    const second = await startSignIn(app.url);
    const fresh = new URL(await chooseUser(second, 'uma@contoso.test'));
    fresh.searchParams.set('code', used.searchParams.get('code')!);
    const before = await signInRows(app);
    const hop = await second.client.request(fresh.href);
    await expectRefusedSignIn(app, hop, { status: 400, reason: 'code_rejected', sessionsBefore: before.sessions, says: /already used or has expired/ });
  });

  it('a person who cancels at the provider', async () => {
    const visit = await startSignIn(app.url);
    const cancelled = await visit.client.request(`${visit.interactionUrl}/abort`, { method: 'POST' });
    const hops = await visit.client.follow(cancelled.location!, (next) => next.pathname === '/auth/callback');
    const callbackUrl = hops.at(-1)!.location!;
    expect(new URL(callbackUrl).searchParams.get('error')).toBe('access_denied');
    const before = await signInRows(app);
    const hop = await visit.client.request(callbackUrl);
    // Not an error: a calm page, with the way back to where the person was headed.
    expect(hop.status).toBe(200);
    expect(hop.body).toContain('<h1>Sign-in was cancelled</h1>');
    expect(hop.body).toContain('Nobody was signed in. The identity provider said: The sign-in was cancelled.');
    expect(hop.body).toContain(`href="/auth/login?returnTo=${encodeURIComponent('/dashboard')}"`);
    expect(hop.body).not.toContain('Reason:');
    expect(hop.setCookies.filter((c) => c.key.endsWith('mreg_session'))).toEqual([]);
    expect(await signInRows(app)).toEqual({ sessions: before.sessions, requests: 0 });
  });

  it('an id_token whose nonce is not the one sent', async () => {
    const visit = await startSignIn(app.url);
    const callbackUrl = await chooseUser(visit, 'ada@contoso.test');
    // The server's record of the nonce differs from the token's, as if the token were for another attempt.
    await app.db.orm.em.fork().execute(`update sign_in_requests set nonce = 'another-attempt'`);
    const before = await signInRows(app);
    const hop = await visit.client.request(callbackUrl);
    await expectRefusedSignIn(app, hop, { status: 400, reason: 'nonce_mismatch', sessionsBefore: before.sessions });
  });

  it('something that is no email address at the provider gets a readable 400 there', async () => {
    const visit = await startSignIn(app.url);
    const hop = await visit.client.postForm(`${visit.interactionUrl}/login`, { email: 'mallory at contoso' });
    expect(hop.status).toBe(400);
    expect(hop.body).toContain('is not an email address the development provider takes');
    expect(hop.body).toContain('kim@northwind.test');
  });

  it('an email the provider does not know signs in a new person, in the tenant of its domain, the same person each time', async () => {
    const first = await signInAs(app.url, 'mallory@contoso.test');
    const user = (await trpcQuery(first.client, app.url, 'auth.user')).body.result!.data as { user: { id: string; email: string }; tenantContext: { tenantName: string; role: string } };
    expect(user.tenantContext).toMatchObject({ tenantName: 'Contoso', role: 'member' });
    const again = await signInAs(app.url, 'Mallory@Contoso.test');
    expect(((await trpcQuery(again.client, app.url, 'auth.user')).body.result!.data as { user: { id: string } }).user.id).toBe(user.user.id);
  });
});

describe("the server's own pages speak the app's language", () => {
  it("German from Accept-Language or the app's cookie, English otherwise; the reason code stays as it is", async () => {
    const refused = async (headers: Record<string, string>) => (await new CookieClient(headers).request(`${app.url}/auth/callback?state=not-mine&code=made-up`)).body;
    const german = await refused({ 'accept-language': 'de-CH, de;q=0.9, en;q=0.5' });
    expect(german).toContain('<html lang="de">');
    expect(german).toContain('<h1>Anmeldung fehlgeschlagen</h1>');
    expect(german).toContain('Diese Anmeldung wurde nicht hier begonnen oder hat zu lange gedauert.');
    expect(german).toContain('Grund: no_request');
    expect(german).toContain('>Erneut anmelden</a>');
    // The app's cookie is the person's choice, and wins over the browser's languages.
    const chosen = await refused({ 'accept-language': 'de', cookie: 'mreg_lang=en-GB' });
    expect(chosen).toContain('<html lang="en">');
    expect(chosen).toContain('<h1>Sign-in failed</h1>');
    expect(await refused({ cookie: 'mreg_lang=de-AT' })).toContain('<h1>Anmeldung fehlgeschlagen</h1>');
    expect(await refused({ 'accept-language': 'fr-FR' })).toContain('<h1>Sign-in failed</h1>');

    // Signed in, the person's own theme and language come with the session, for a browser the app never ran in.
    const first = await signInAs(app.url, 'uma@contoso.test');
    expect(first.callback.setCookies.find((c) => c.key === 'mreg_theme')).toBeUndefined();
    const saved = await trpcMutation(first.client, app.url, 'auth.updatePreferences', { category: 'ui', preferences: { theme: 'dark', language: 'de-DE' } });
    expect(saved.status).toBe(200);
    const again = await signInAs(app.url, 'uma@contoso.test');
    expect(again.callback.setCookies.find((c) => c.key === 'mreg_theme')).toMatchObject({ value: 'dark', httpOnly: false, sameSite: 'lax', path: '/' });
    expect(again.callback.setCookies.find((c) => c.key === 'mreg_lang')?.value).toBe('de-DE');
    // index.html puts them on <html> (app.int.test.ts, "puts the theme cookie's light or dark on <html>").
    await trpcMutation(again.client, app.url, 'auth.updatePreferences', { category: 'ui', preferences: { theme: null, language: null } });

    // The development provider's chooser too, with the roles in German.
    const visit = await startSignIn(app.url, new CookieClient({ 'accept-language': 'de' }));
    expect(visit.interactionPage.body).toContain('<h1>Bei MREG anmelden (Entwicklung)</h1>');
    expect(visit.interactionPage.body).toContain('Admin in Contoso');
    expect(visit.interactionPage.body).toContain('>Als diese Person anmelden</button>');
  });
});

describe('msal and jose stay on loopback', () => {
  it('made only the token and JWKS requests, to the development provider, and nothing was refused', async () => {
    const before = app.outbound.requested.length;
    await signInAs(app.url, 'ada@contoso.test');
    expect(app.outbound.requested.length).toBeGreaterThan(before);
    expect(app.outbound.refused).toEqual([]);
    const targets = new Set(app.outbound.requested.map((url) => new URL(url).pathname));
    expect([...targets].sort()).toEqual(['/dev-idp/jwks', '/dev-idp/token']);
    // Not the https authority msal was given, nor any discovery document.
    expect(app.outbound.requested.filter((url) => url.startsWith('https:') || url.includes('well-known'))).toEqual([]);
  });
});
