import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CookieClient } from '../testing/cookie-client';
import { startForgedProvider, type ForgedProvider } from '../testing/forged-provider';
import { databaseMode, startTestApp, type TestApp } from '../testing/harness';
import { trpcQuery } from '../testing/sign-in';
import { expectRefusedSignIn, signInRows } from '../testing/sign-in-checks';

/**
 * The id_token checks (signature, issuer, audience, expiry, nonce, claims), against a provider on
 * loopback that answers the real msal client with tokens forged for each case.
 */

let provider: ForgedProvider;
let app: TestApp;
beforeAll(async () => {
  provider = await startForgedProvider();
  app = await startTestApp({ signInProvider: provider.description, env: { MREG_SIGN_IN_RATE_LIMIT: '1000' } });
});
afterAll(async () => {
  await app?.close();
  await provider?.close();
});
beforeEach(async () => {
  await app.db.orm.em.fork().execute('delete from sign_in_requests');
});

/** Starts a sign-in, lets the provider answer with `forge(nonce)`, and returns the callback's answer. */
async function callbackWith(forge: (nonce: string) => Promise<string>) {
  const client = new CookieClient();
  const login = await client.request(`${app.url}/auth/login`);
  const authorize = new URL(login.location!);
  expect(`${authorize.origin}${authorize.pathname}`).toBe(`${provider.issuer}/authorize`);
  const nonce = authorize.searchParams.get('nonce')!;
  provider.nextIdToken = () => forge(nonce);
  const state = authorize.searchParams.get('state')!;
  const hop = await client.request(`${app.url}/auth/callback?code=forged-code&state=${encodeURIComponent(state)}`);
  return { client, hop };
}

describe(`id_token verification (${databaseMode})`, () => {
  it('accepts a good token, and names the tenant from tenant_display_name', async () => {
    const { client, hop } = await callbackWith((nonce) => provider.sign(provider.claims(nonce, { tenant_display_name: 'Forged Org' })));
    expect(hop.status).toBe(303);
    const me = await trpcQuery(client, app.url, 'auth.user');
    expect((me.body.result!.data as any).tenantContext).toMatchObject({ tenantId: 'forged-tenant', tenantName: 'Forged Org', role: 'member' });
    // msal sent the PKCE verifier and the code to the token endpoint.
    const request = provider.tokenRequests.at(-1)!;
    expect(request.get('code')).toBe('forged-code');
    expect(request.get('code_verifier')).toMatch(/^[\w-]{43,128}$/);
  });

  it('re-evaluates the home-tenant role at every sign-in from the admin app role', async () => {
    // Another admin of the tenant, so that a demotion would not take its last one away.
    await callbackWith((nonce) => provider.sign(provider.claims(nonce, { oid: 'second-admin-oid', roles: ['admin'] })));
    await callbackWith((nonce) => provider.sign(provider.claims(nonce, { roles: ['admin'] })));
    const { client } = await callbackWith((nonce) => provider.sign(provider.claims(nonce)));
    const me = await trpcQuery(client, app.url, 'auth.user');
    expect((me.body.result!.data as any).tenantContext).toMatchObject({ role: 'member', isAdmin: false });
    const admin = await callbackWith((nonce) => provider.sign(provider.claims(nonce, { roles: ['admin'] })));
    const again = await trpcQuery(admin.client, app.url, 'auth.user');
    expect((again.body.result!.data as any).tenantContext).toMatchObject({ role: 'admin', isAdmin: true });
    // The session signed in before, and cached as a member, shows the new role at its next request.
    const earlier = await trpcQuery(client, app.url, 'auth.user');
    expect((earlier.body.result!.data as any).tenantContext).toMatchObject({ role: 'admin', isAdmin: true });
  });

  it('cleans the name and tenant name others will see instead of failing the sign-in, falling back when nothing visible is left', async () => {
    const user = async (client: CookieClient) => (await trpcQuery(client, app.url, 'auth.user')).body.result!.data as any;
    const first = await callbackWith((nonce) =>
      provider.sign(provider.claims(nonce, { oid: 'invisible-oid', name: 'Ada\u180e \uff2c\uff4f\uff56\uff45\u200blace 👩🏽‍💻', tenant_display_name: '\u2800Forged\u{e0041} Org\u200f' })),
    );
    expect(first.hop.status).toBe(303);
    expect((await user(first.client)).user.name).toBe('Ada Lovelace 👩🏽‍💻');
    expect((await user(first.client)).tenantContext.tenantName).toBe('Forged Org');

    // NFKC spells U+FDFA out in 18 characters: 20 of them are cut to the column's 255, not a failure.
    const long = await callbackWith((nonce) => provider.sign(provider.claims(nonce, { oid: 'long-name-oid', name: '\ufdfa'.repeat(20) })));
    expect(long.hop.status).toBe(303);
    expect([...(await user(long.client)).user.name]).toHaveLength(255);

    const blank = await callbackWith((nonce) => provider.sign(provider.claims(nonce, { oid: 'blank-oid', name: '\u3164\u3164', email: 'blank@example.test' })));
    expect(blank.hop.status).toBe(303);
    expect((await user(blank.client)).user.name).toBe('blank@example.test');

    // An address shown beside names gets no hidden characters either: it reads as what it is.
    const address = await callbackWith((nonce) =>
      provider.sign(provider.claims(nonce, { oid: 'hidden-email-oid', name: 'Ada', email: 'ada\u200b@contoso.test\u2060', preferred_username: 'x@y.test' })),
    );
    expect(address.hop.status).toBe(303);
    expect((await user(address.client)).user.email).toBe('ada@contoso.test');
  });

  it.each([
    ['a signature by a key the provider never published', (nonce: string) => provider.sign(provider.claims(nonce), { unpublishedKey: true }), 'invalid_token', /signature verification failed/],
    ['another audience', (nonce: string) => provider.sign(provider.claims(nonce, { aud: 'someone-else' })), 'invalid_token', /"aud" claim/],
    ['an expired token', (nonce: string) => provider.sign(provider.claims(nonce, { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })), 'invalid_token', /"exp" claim/],
    ['another issuer', (nonce: string) => provider.sign(provider.claims(nonce, { iss: 'https://evil.example/' })), 'invalid_token', /unexpected issuer/],
    ['no oid claim', (nonce: string) => provider.sign(provider.claims(nonce, { oid: undefined })), 'invalid_token', /claims: oid/],
    ['another nonce', () => provider.sign(provider.claims('not-the-nonce-we-sent')), 'nonce_mismatch', /nonce/],
  ] as const)('refuses %s', async (_what, forge, reason, detail) => {
    const before = await signInRows(app);
    const logged = app.logs.length;
    const { hop } = await callbackWith(forge);
    await expectRefusedSignIn(app, hop, { status: 400, reason, sessionsBefore: before.sessions });
    const failure = app.logs.slice(logged).map((line) => JSON.parse(line)).find((l) => l.msg === 'Sign-in failed');
    expect(failure?.detail).toMatch(detail);
  });

  it('refuses a code the provider does not redeem', async () => {
    const before = await signInRows(app);
    const { hop } = await callbackWith(async () => '');
    await expectRefusedSignIn(app, hop, { status: 400, reason: 'code_rejected', sessionsBefore: before.sessions });
  });
});
