import { get as httpGet } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TENANTS } from '../identity/demo-directory';
import { createSession } from '../modules/sessions/sessions.store';
import { User } from '../modules/users/users.entity';
import { CookieClient } from '../testing/cookie-client';
import { freePort } from '../testing/processes';
import { databaseMode, startTestApp, type TestApp } from '../testing/harness';
import { chooseUser, signInAs, startSignIn, trpcQuery } from '../testing/sign-in';
import { expectRefusedSignIn, signInRows } from '../testing/sign-in-checks';

const [, FABRIKAM] = DEMO_TENANTS;

describe(`MREG_AZURE_ALLOWED_TENANTS (${databaseMode})`, () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { MREG_AZURE_ALLOWED_TENANTS: FABRIKAM.id } });
  });
  afterAll(() => app?.close());

  it('refuses a person from another tenant with 403, and lets the allowed tenant in', async () => {
    const visit = await startSignIn(app.url);
    const callbackUrl = await chooseUser(visit, 'ada@contoso.test');
    const before = await signInRows(app);
    const hop = await visit.client.request(callbackUrl);
    await expectRefusedSignIn(app, hop, { status: 403, reason: 'tenant_not_allowed', sessionsBefore: before.sessions, says: /not allowed/ });

    const { callback } = await signInAs(app.url, 'vic@fabrikam.test');
    expect(callback.status).toBe(303);
  });
});

describe('sign-in rate limits', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { MREG_SIGN_IN_RATE_LIMIT: '3' } });
  });
  afterAll(() => app?.close());

  it('answers 429 with Retry-After past the limit per minute, on /auth/login and /auth/callback', async () => {
    const client = new CookieClient();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await client.request(`${app.url}/auth/login`)).status);
    expect(statuses).toEqual([302, 302, 302, 429]);
    const refused = await client.request(`${app.url}/auth/login`);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body).toContain('Too many sign-in attempts');

    const callbacks = [];
    for (let i = 0; i < 4; i++) callbacks.push((await client.request(`${app.url}/auth/callback?code=x&state=y`)).status);
    expect(callbacks).toEqual([400, 400, 400, 429]);
  });
});

describe('sign-in rate limits with Redis down', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { MREG_SIGN_IN_RATE_LIMIT: '3' }, redisUrl: `redis://127.0.0.1:${await freePort()}` });
  });
  afterAll(() => app?.close());

  it('still sign people in, and still limit, counting in the process', async () => {
    expect((await signInAs(app.url, 'uma@contoso.test')).callback.status).toBe(303);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await new CookieClient().request(`${app.url}/auth/login`)).status);
    expect(statuses).toEqual([302, 302, 429]);
  });
});

/** A GET with `headers` as sent (node:http, since fetch will not send another Host). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    });
    request.on('error', reject);
  });
}

/** The endpoints of the development provider's discovery document, asked for with `headers`. */
async function discoveredUrls(listenerUrl: string, headers: Record<string, string>): Promise<string[]> {
  const { status, body } = await rawGet(`${listenerUrl}/dev-idp/.well-known/openid-configuration`, headers);
  expect(status, body).toBe(200);
  const document = JSON.parse(body) as Record<string, unknown>;
  return Object.values(document).filter((value): value is string => typeof value === 'string' && /^[a-z]+:\/\//.test(value));
}

const FORGED_ORIGIN = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' };

describe('the development provider on loopback', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.close());

  it('builds its discovery document from the public URL, whatever loopback name it is asked by', async () => {
    const port = new URL(app.url).port;
    const urls = await discoveredUrls(app.url, { host: `localhost:${port}` });
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const url of urls) expect(url.startsWith(`${app.url}/dev-idp`), url).toBe(true);
  });

  it('refuses, with a readable page, requests made to another name or through a proxy or tunnel', async () => {
    const port = new URL(app.url).port;
    const requests: Record<string, string>[] = [
      { host: 'evil.example' },
      { host: `mreg.example.com:${port}` },
      { host: `127.0.0.1:${port}`, 'x-forwarded-for': '203.0.113.9' },
      { host: `127.0.0.1:${port}`, forwarded: 'for=203.0.113.9' },
      { host: `localhost:${port}`, 'x-forwarded-host': 'mreg.example.com' },
    ];
    for (const headers of requests) {
      for (const path of ['/dev-idp/.well-known/openid-configuration', '/dev-idp/auth?client_id=mreg-development', '/dev-idp/interaction/x/login']) {
        const refused = await rawGet(`${app.url}${path}`, headers);
        expect(refused.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(refused.body).toContain('The development sign-in answers on this machine only');
        expect(refused.body).toContain('MREG_DEV_SIGN_IN=true');
      }
    }
    expect(app.logs.some((line) => line.includes('Development sign-in refused'))).toBe(true);
    expect((await signInAs(app.url, 'uma@contoso.test')).callback.status).toBe(303);
  });

  it('shows no banner and logs no warning: loopback is where it belongs', async () => {
    const features = await trpcQuery(new CookieClient(), app.url, 'config.features');
    expect(features.body.result!.data).toMatchObject({ signIn: 'development', devSignInOpen: false });
    expect(app.logs.filter((line) => line.includes('MREG_DEV_SIGN_IN=true'))).toEqual([]);
  });
});

describe('the development provider behind a public address', () => {
  it('is refused without MREG_DEV_SIGN_IN=true, naming the settings', async () => {
    await expect(startTestApp({ publicOrigin: 'https://mreg.test' })).rejects.toThrow(
      /MREG_PUBLIC_URL: https:\/\/mreg\.test is not a loopback address.*MREG_DEV_SIGN_IN=true/,
    );
  });
});

describe('behind https (a TLS-terminating proxy in front of MREG), with MREG_DEV_SIGN_IN=true', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ publicOrigin: 'https://mreg.test', env: { MREG_DEV_SIGN_IN: 'true' } });
  });
  afterAll(() => app?.close());

  it('warns at start and tells the app to show its banner', async () => {
    const warnings = app.logs.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((entry) => entry.msg.startsWith('MREG_DEV_SIGN_IN=true'));
    expect(warnings).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringContaining('ANYONE WHO REACHES MREG CAN SIGN IN AS ANY DEMO USER') }),
    ]);
    const client = new CookieClient({}, app.transport);
    const features = await trpcQuery(client, app.publicOrigin, 'config.features');
    expect(features.body.result!.data).toMatchObject({ signIn: 'development', devSignInOpen: true });
    const chooser = await startSignIn(app.publicOrigin, client);
    expect(chooser.interactionPage.body).toContain('anyone who can reach this server can sign in as any of these people');
  });

  it('builds its discovery document from the public URL, not from the Host the proxy or a client sends', async () => {
    for (const url of await discoveredUrls(app.url, FORGED_ORIGIN)) expect(url.startsWith('https://mreg.test/dev-idp')).toBe(true);
  });

  it('uses __Host- cookies with Secure, and the whole flow still works', async () => {
    const client = new CookieClient({}, app.transport);
    const login = await client.request(`${app.publicOrigin}/auth/login`);
    expect(login.location).toMatch(/^https:\/\/mreg\.test\/dev-idp\/auth\?/);
    expect(login.setCookies.find((c) => c.key === '__Host-mreg_sign_in')).toMatchObject({ secure: true, httpOnly: true, path: '/', sameSite: 'lax' });

    const { callback, token } = await signInAs(app.publicOrigin, 'ada@contoso.test', { client, cookieName: '__Host-mreg_session' });
    const cookie = callback.setCookies.find((c) => c.key === '__Host-mreg_session')!;
    expect(cookie).toMatchObject({ secure: true, httpOnly: true, path: '/', sameSite: 'lax' });
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(callback.location).toBe('https://mreg.test/dashboard');
    expect(callback.headers.get('strict-transport-security')).toMatch(/max-age=/);

    const me = await trpcQuery(client, app.publicOrigin, 'auth.user');
    expect((me.body.result!.data as any).user.email).toBe('ada@contoso.test');
    // A cookie without the prefix is not the session cookie here.
    const plain = new CookieClient({ cookie: `mreg_session=${token}` }, app.transport);
    expect((await trpcQuery(plain, app.publicOrigin, 'auth.user')).status).toBe(401);
  });
});

describe('with Entra ID configured', () => {
  const tenantId = '72f988bf-0000-4000-8000-000000000001';
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      env: { MREG_AZURE_TENANT_ID: tenantId, MREG_AZURE_CLIENT_ID: 'mreg-client', MREG_AZURE_CLIENT_SECRET: 'not-a-real-secret' },
    });
  });
  afterAll(() => app?.close());

  it('redirects to Entra ID with PKCE, without msal contacting anything, and serves no development provider', async () => {
    const client = new CookieClient();
    const login = await client.request(`${app.url}/auth/login`);
    expect(login.status).toBe(302);
    const url = new URL(login.location!);
    expect(`${url.origin}${url.pathname}`).toBe(`https://login.microsoftonline.com/${tenantId}/oauth2/v2.0/authorize`);
    expect(url.searchParams.get('client_id')).toBe('mreg-client');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('redirect_uri')).toBe(`${app.url}/auth/callback`);
    expect(app.outbound.requested).toEqual([]);
    expect((await client.request(`${app.url}/dev-idp/.well-known/openid-configuration`)).status).toBe(404);
  });

  it('would contact Microsoft to redeem a code: the test network refuses it, and the page says the provider is unreachable', async () => {
    const client = new CookieClient();
    const login = await client.request(`${app.url}/auth/login`);
    const state = new URL(login.location!).searchParams.get('state')!;
    const before = await signInRows(app);
    const hop = await client.request(`${app.url}/auth/callback?code=some-code&state=${state}`);
    expect(hop.status).toBe(502);
    expect(hop.body).toContain('could not be reached');
    expect(hop.setCookies.filter((c) => c.key === 'mreg_session')).toEqual([]);
    expect((await signInRows(app)).sessions).toBe(before.sessions);
    expect(app.outbound.refused).toEqual([expect.stringMatching(new RegExp(`^https://login\\.microsoftonline\\.com/${tenantId}/oauth2/v2\\.0/token`))]);
  });

  it("offers Entra ID's end-session URL at logout", async () => {
    // A session made directly: Entra ID itself cannot run here.
    const em = app.db.orm.em.fork();
    const user = em.create(User, { externalId: 'entra-oid', email: 'e@example.test', name: 'E' });
    await em.flush();
    const { token } = createSession(em, { userId: user.id, tenantId: tenantId, accessToken: 'x', userAgent: undefined, ipAddress: undefined, lifetime: app.settings.sessionLifetime, now: new Date() });
    await em.flush();
    const client = new CookieClient({ cookie: `mreg_session=${token}` });
    const out = await client.request(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { origin: app.url, 'x-mreg-csrf': '1', accept: 'application/json' },
    });
    expect(out.status).toBe(200);
    const endSession = new URL(JSON.parse(out.body).endSessionUrl);
    expect(`${endSession.origin}${endSession.pathname}`).toBe(`https://login.microsoftonline.com/${tenantId}/oauth2/v2.0/logout`);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${app.url}/`);
  });
});
