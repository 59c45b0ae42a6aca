import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthUser, Membership, TenantContext, TenantMember } from '@mreg/shared';
import { DEMO_TENANTS } from '../../identity/demo-directory';
import { CookieClient } from '../../testing/cookie-client';
import { databaseMode, startTestApp, testRedisUrl, type TestApp } from '../../testing/harness';
import { signInAs, trpcMutation, trpcQuery, type TrpcAnswer } from '../../testing/sign-in';
import { createSession } from '../sessions/sessions.store';
import { sessionLifetime } from '../sessions/sessions.lifetime';
import { dropTenantContexts } from './tenant-context';

/**
 * Tenants and roles through the real app over HTTP: my memberships and the tenant switch, tenant
 * administration with the last-admin rule, what a membership change does to the member's sessions,
 * and the isolation matrix (every tenant-scoped procedure as every kind of member, in both tenants).
 */

const [CONTOSO, FABRIKAM] = DEMO_TENANTS;
const OTHER = { [CONTOSO.id]: FABRIKAM, [FABRIKAM.id]: CONTOSO };
/** People MREG knows who are in neither demo tenant (no home tenant): whom the tests add and remove. */
const ZOE = { email: 'zoe@example.test', externalId: 'zoe-oid' };
const YAN = { email: 'yan@example.test', externalId: 'yan-oid' };

let app: TestApp;
const ids: Record<string, string> = {};
beforeAll(async () => {
  app = await startTestApp({ env: { MREG_SIGN_IN_RATE_LIMIT: '1000' } });
  const em = app.db.orm.em.fork();
  for (const person of [ZOE, YAN]) {
    await em.execute(`insert into users (external_id, email, name, roles) values (?, ?, ?, '[]')`, [person.externalId, person.email, person.email]);
  }
  for (const row of await em.execute<{ id: string; email: string }[]>(`select id, email from users`)) ids[row.email] = row.id;
});
afterAll(async () => {
  await app?.close();
});

const em = () => app.db.orm.em.fork();

/** A browser holding a session of `email` whose active tenant is `tenantId`, made directly in the database. */
async function sessionIn(email: string, tenantId: string): Promise<{ client: CookieClient; token: string }> {
  const fork = em();
  const { token } = createSession(fork, {
    userId: ids[email]!,
    tenantId,
    accessToken: 'test',
    userAgent: 'tenants test',
    ipAddress: '127.0.0.1',
    lifetime: sessionLifetime(app.settings.fastmcp),
    now: new Date(),
  });
  await fork.flush();
  const client = new CookieClient();
  await client.jar.setCookie(`mreg_session=${token}`, app.url);
  return { client, token };
}

const holding = (token: string) => new CookieClient({ cookie: `mreg_session=${token}` });
const query = (client: CookieClient, path: string, input?: unknown) => trpcQuery(client, app.url, path, input);
const mutate = (client: CookieClient, path: string, input?: unknown) => trpcMutation(client, app.url, path, input);
const data = <T>(answer: TrpcAnswer): T => {
  if (answer.status !== 200) throw new Error(`answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.result!.data as T;
};
const me = async (client: CookieClient) => data<AuthUser>(await query(client, 'auth.user'));
const newCookie = (answer: TrpcAnswer) => answer.hop.setCookies.find((c) => c.key === 'mreg_session')?.value;

/** Sets a membership as a test needs it: a role, deactivated, or absent. */
async function setMembership(email: string, tenantId: string, state: 'admin' | 'member' | 'viewer' | 'deactivated' | 'none') {
  const fork = em();
  const userId = ids[email]!;
  await fork.execute(`delete from user_tenant_memberships where user_id = ? and tenant_id = ?`, [userId, tenantId]);
  if (state !== 'none') {
    await fork.execute(
      `insert into user_tenant_memberships (user_id, tenant_id, role, permissions, is_active) values (?, ?, ?, '[]', ?)`,
      [userId, tenantId, state === 'deactivated' ? 'member' : state, state !== 'deactivated'],
    );
  }
  // Changed behind the app's back: what a membership change through the app does for the cache.
  await dropTenantContexts(app.cache, tenantId, [userId]);
}

/** What a refused call must leave as it was: the tenant's memberships and every session. */
async function snapshot() {
  const fork = em();
  return {
    memberships: await fork.execute(
      `select user_id, tenant_id, role, permissions, is_active, last_active from user_tenant_memberships order by tenant_id, user_id`,
    ),
    sessions: await fork.execute(
      `select id, session_token, tenant_context, revoked_at, rotation_due_at, expires_at from enhanced_sessions order by id`,
    ),
  };
}

describe(`my tenants (${databaseMode}, ${testRedisUrl ? 'Redis' : 'in-process cache'})`, () => {
  it('lists my active memberships, and switching moves the active tenant under a new token', async () => {
    const { client, token } = await signInAs(app.url, 'ada@contoso.test');
    const tenants = data<Membership[]>(await query(client, 'auth.tenants'));
    expect(tenants.map(({ tenantName, role, isActiveTenant }) => ({ tenantName, role, isActiveTenant }))).toEqual([
      { tenantName: 'Contoso', role: 'admin', isActiveTenant: true },
      { tenantName: 'Fabrikam', role: 'member', isActiveTenant: false },
    ]);

    const before = Date.now();
    const switched = await mutate(client, 'auth.switchTenant', { tenantId: FABRIKAM.id });
    expect(data<TenantContext>(switched)).toEqual({
      tenantId: FABRIKAM.id,
      tenantName: 'Fabrikam',
      role: 'member',
      isAdmin: false,
      permissions: ['registry:read', 'registry:write', 'tools:call', 'members:read'],
    });
    const rotated = newCookie(switched);
    expect(rotated).toBeDefined();
    expect(rotated).not.toBe(token);

    // The old token is dead at once; the browser's new one has the new tenant, same session.
    expect((await query(holding(token), 'auth.user')).status).toBe(401);
    const now = await me(client);
    expect(now.tenantContext?.tenantName).toBe('Fabrikam');
    expect(now.permissions).not.toContain('members:manage');
    const [row] = await em().execute<{ tenant: string }[]>(`select tenant_context ->> 'tenantId' as tenant from enhanced_sessions where id = ?`, [
      now.sessionInfo.sessionId,
    ]);
    expect(row!.tenant).toBe(FABRIKAM.id);
    const [membership] = await em().execute<{ last_active: string }[]>(
      `select last_active from user_tenant_memberships where user_id = ? and tenant_id = ?`,
      [now.user.id, FABRIKAM.id],
    );
    expect(new Date(membership!.last_active).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(data<Membership[]>(await query(client, 'auth.tenants')).find((t) => t.isActiveTenant)?.tenantName).toBe('Fabrikam');
    // As a member of Fabrikam, ada cannot administer it.
    expect((await query(client, 'tenants.members')).status).toBe(403);
  });

  it('refuses a switch to a tenant without an active membership: FORBIDDEN, and nothing changes', async () => {
    const { client, token } = await signInAs(app.url, 'uma@contoso.test');
    const before = await snapshot();
    for (const tenantId of [FABRIKAM.id, 'no-such-tenant']) {
      const refused = await mutate(client, 'auth.switchTenant', { tenantId });
      expect(refused.status).toBe(403);
      expect(refused.body.error?.message).toBe(`You have no active membership of the tenant ${tenantId}`);
      expect(newCookie(refused)).toBeUndefined();
    }
    expect(await snapshot()).toEqual(before);
    expect((await me(holding(token))).tenantContext?.tenantName).toBe('Contoso');

    const bad = await mutate(client, 'auth.switchTenant', { tenantId: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toBe('tenantId: must not be empty');
  });

  it('parallel switches of one session: one applies, the others change nothing, and the session stays consistent', async () => {
    const { token } = await sessionIn('ada@contoso.test', CONTOSO.id);
    const targets = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? FABRIKAM : CONTOSO));
    const answers = await Promise.all(targets.map((tenant) => mutate(holding(token), 'auth.switchTenant', { tenantId: tenant.id })));
    const won = answers.flatMap((answer, i) => (answer.status === 200 ? [{ answer, tenant: targets[i]! }] : []));
    expect(won).toHaveLength(1);
    for (const answer of answers.filter((a) => a.status !== 200)) {
      expect(answer.status).toBe(409);
      expect(newCookie(answer)).toBeUndefined();
    }
    const winner = won[0]!;
    const winnerToken = newCookie(winner.answer)!;
    expect((await query(holding(token), 'auth.user')).status).toBe(401);
    const after = await me(holding(winnerToken));
    expect(after.tenantContext?.tenantId).toBe(winner.tenant.id);
    const rows = await em().execute<{ tenant: string }[]>(
      `select tenant_context ->> 'tenantId' as tenant from enhanced_sessions where id = ? and revoked_at is null`,
      [after.sessionInfo.sessionId],
    );
    expect(rows).toEqual([{ tenant: winner.tenant.id }]);
  });
});

describe('tenant administration', () => {
  it('lists the members of the active tenant only', async () => {
    const { client } = await sessionIn('ada@contoso.test', CONTOSO.id);
    const members = data<TenantMember[]>(await query(client, 'tenants.members'));
    expect(members.map((m) => [m.email, m.role, m.isActive])).toEqual([
      ['ada@contoso.test', 'admin', true],
      ['uma@contoso.test', 'member', true],
    ]);
    expect(members[0]!.effectivePermissions).toContain('members:manage');
  });

  it('adds a person MREG knows, and refuses strangers, duplicates and bad input with reasons', async () => {
    await setMembership(ZOE.email, CONTOSO.id, 'none');
    const { client } = await sessionIn('ada@contoso.test', CONTOSO.id);
    const added = data<TenantMember>(await mutate(client, 'tenants.addMember', { email: ' ZOE@example.test ', role: 'viewer' }));
    expect(added).toMatchObject({ email: ZOE.email, role: 'viewer', isActive: true, effectivePermissions: ['registry:read', 'members:read'] });

    const again = await mutate(client, 'tenants.addMember', { email: ZOE.email, role: 'member' });
    expect(again.status).toBe(409);
    expect(again.body.error?.message).toBe(`${ZOE.email} is already a member of Contoso`);
    expect(again.body.error?.data.reason).toBe('already_member');

    const stranger = await mutate(client, 'tenants.addMember', { email: 'nobody@example.test', role: 'member' });
    expect(stranger.status).toBe(404);
    expect(stranger.body.error?.message).toBe('No one with the email nobody@example.test is known to MREG yet; they must sign in once before they can be added');
    expect(stranger.body.error?.data.reason).toBe('unknown_email');

    const bad = await mutate(client, 'tenants.addMember', { email: 'not an email', role: 'owner' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.data.fieldErrors).toMatchObject({ email: ['must be an email address'], role: [expect.any(String)] });

    // Zoe's new tenant is hers to switch to.
    const zoe = await sessionIn(ZOE.email, FABRIKAM.id);
    expect(data<Membership[]>(await query(zoe.client, 'auth.tenants')).map((t) => t.tenantName)).toEqual(['Contoso']);
    expect(data<TenantContext>(await mutate(zoe.client, 'auth.switchTenant', { tenantId: CONTOSO.id })).role).toBe('viewer');
    await setMembership(ZOE.email, CONTOSO.id, 'none');
  });

  it("a role change reaches the member's next request with a new token; the old token is dead", async () => {
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
    const uma = await signInAs(app.url, 'uma@contoso.test');
    expect((await me(uma.client)).tenantContext?.role).toBe('member');
    const { client: ada } = await sessionIn('ada@contoso.test', CONTOSO.id);

    const changed = data<TenantMember>(await mutate(ada, 'tenants.updateMember', { userId: ids['uma@contoso.test'], role: 'viewer', permissions: ['audit:read'] }));
    expect(changed).toMatchObject({ role: 'viewer', permissions: ['audit:read'], effectivePermissions: ['registry:read', 'members:read', 'audit:read'] });

    const next = await query(uma.client, 'auth.user');
    const rotated = newCookie(next);
    expect(rotated).toBeDefined();
    expect(rotated).not.toBe(uma.token);
    expect(data<AuthUser>(next).tenantContext).toMatchObject({ role: 'viewer', permissions: ['registry:read', 'members:read', 'audit:read'] });
    expect((await query(holding(uma.token), 'auth.user')).status).toBe(401);
    // Rotated once: the request after carries no new cookie.
    expect(newCookie(await query(uma.client, 'auth.user'))).toBeUndefined();
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
  });

  it('requests in flight together at a role change: one carries the new token, and none fails otherwise', async () => {
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
    const { token } = await sessionIn('uma@contoso.test', CONTOSO.id);
    const { client: ada } = await sessionIn('ada@contoso.test', CONTOSO.id);
    data(await mutate(ada, 'tenants.updateMember', { userId: ids['uma@contoso.test'], role: 'viewer' }));

    const answers = await Promise.all(Array.from({ length: 6 }, () => query(holding(token), 'auth.user')));
    // Those that arrived before the rotation are answered (here, usually all); a later one finds the old token dead.
    for (const answer of answers) {
      expect([200, 401]).toContain(answer.status);
      if (answer.status === 200) expect(data<AuthUser>(answer).tenantContext?.role).toBe('viewer');
    }
    const rotated = answers.map(newCookie).filter((cookie) => cookie !== undefined);
    expect(rotated).toHaveLength(1);
    expect((await query(holding(token), 'auth.user')).status).toBe(401);
    expect((await me(holding(rotated[0]!))).tenantContext?.role).toBe('viewer');
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
  });

  it("a deactivation ends the member's sessions in that tenant only; reactivation lets them back", async () => {
    await setMembership('vic@fabrikam.test', CONTOSO.id, 'member');
    const inContoso = await sessionIn('vic@fabrikam.test', CONTOSO.id);
    const inFabrikam = await sessionIn('vic@fabrikam.test', FABRIKAM.id);
    const { client: ada } = await sessionIn('ada@contoso.test', CONTOSO.id);

    const off = data<TenantMember>(await mutate(ada, 'tenants.updateMember', { userId: ids['vic@fabrikam.test'], isActive: false }));
    expect(off.isActive).toBe(false);
    expect((await query(inContoso.client, 'auth.user')).status).toBe(401);
    expect((await me(inFabrikam.client)).tenantContext?.tenantName).toBe('Fabrikam');
    const refused = await mutate(inFabrikam.client, 'auth.switchTenant', { tenantId: CONTOSO.id });
    expect(refused.status).toBe(403);
    // Listed as deactivated, so an admin can bring them back.
    expect(data<TenantMember[]>(await query(ada, 'tenants.members')).find((m) => m.email === 'vic@fabrikam.test')?.isActive).toBe(false);

    data(await mutate(ada, 'tenants.updateMember', { userId: ids['vic@fabrikam.test'], isActive: true }));
    expect(data<TenantContext>(await mutate(inFabrikam.client, 'auth.switchTenant', { tenantId: CONTOSO.id })).role).toBe('member');
    await setMembership('vic@fabrikam.test', CONTOSO.id, 'none');
  });

  it('keeps an active admin: the last one cannot be demoted, deactivated or removed', async () => {
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
    const { client: ada } = await sessionIn('ada@contoso.test', CONTOSO.id);
    const adaId = ids['ada@contoso.test'];
    const before = await snapshot();
    for (const [path, input, change] of [
      ['tenants.updateMember', { userId: adaId, role: 'member' }, 'made a non-admin'],
      ['tenants.updateMember', { userId: adaId, isActive: false }, 'deactivated'],
      ['tenants.removeMember', { userId: adaId }, 'removed'],
    ] as const) {
      const refused = await mutate(ada, path, input);
      expect(refused.status).toBe(409);
      expect(refused.body.error?.message).toBe(
        `ada@contoso.test is the last active admin of Contoso and cannot be ${change}; make another member an admin first`,
      );
      expect(refused.body.error?.data.reason).toBe('last_admin');
    }
    expect(await snapshot()).toEqual(before);

    // With a second admin, ada may step down; her own session then has a member's rights.
    data(await mutate(ada, 'tenants.updateMember', { userId: ids['uma@contoso.test'], role: 'admin' }));
    expect(data<TenantMember>(await mutate(ada, 'tenants.updateMember', { userId: adaId, role: 'member' })).role).toBe('member');
    expect((await me(ada)).permissions).not.toContain('members:manage');
    expect((await query(ada, 'tenants.members')).status).toBe(403);
    await setMembership('ada@contoso.test', CONTOSO.id, 'admin');
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
  });

  it('two admins demoting each other at once leave one admin', async () => {
    await setMembership('uma@contoso.test', CONTOSO.id, 'admin');
    const { client: ada } = await sessionIn('ada@contoso.test', CONTOSO.id);
    const { client: uma } = await sessionIn('uma@contoso.test', CONTOSO.id);
    const answers = await Promise.all([
      mutate(ada, 'tenants.updateMember', { userId: ids['uma@contoso.test'], role: 'member' }),
      mutate(uma, 'tenants.updateMember', { userId: ids['ada@contoso.test'], role: 'member' }),
    ]);
    // The second, serialised behind the first, finds the other the last admin (409), or itself no admin any more (403).
    const [first, second] = answers.map((a) => a.status).sort();
    expect(first).toBe(200);
    expect([403, 409]).toContain(second);
    const admins = await em().execute(`select user_id from user_tenant_memberships where tenant_id = ? and role = 'admin' and is_active`, [CONTOSO.id]);
    expect(admins).toHaveLength(1);
    await setMembership('ada@contoso.test', CONTOSO.id, 'admin');
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
  });

  it("shows and ends a member's sessions in this tenant, and removing a member ends them too", async () => {
    await setMembership('vic@fabrikam.test', CONTOSO.id, 'member');
    // Earlier tests' sessions of vic are not this test's business.
    await em().execute(`update enhanced_sessions set revoked_at = now() where user_id = ?`, [ids['vic@fabrikam.test']]);
    const first = await sessionIn('vic@fabrikam.test', CONTOSO.id);
    const second = await sessionIn('vic@fabrikam.test', CONTOSO.id);
    const elsewhere = await sessionIn('vic@fabrikam.test', FABRIKAM.id);
    for (const { client } of [first, second, elsewhere]) await me(client);
    const { client: ada } = await sessionIn('ada@contoso.test', CONTOSO.id);
    const vic = { userId: ids['vic@fabrikam.test'] };

    const listed = data<{ sessionId: string; isCurrent: boolean }[]>(await query(ada, 'tenants.memberSessions', vic));
    expect(listed).toHaveLength(2);
    expect(listed.every((s) => !s.isCurrent)).toBe(true);
    expect(data(await mutate(ada, 'tenants.revokeMemberSessions', vic))).toEqual({ revoked: 2 });
    for (const { client } of [first, second]) expect((await query(client, 'auth.user')).status).toBe(401);
    expect((await me(elsewhere.client)).tenantContext?.tenantName).toBe('Fabrikam');
    expect(data(await query(ada, 'tenants.memberSessions', vic))).toEqual([]);

    const third = await sessionIn('vic@fabrikam.test', CONTOSO.id);
    expect(data(await mutate(ada, 'tenants.removeMember', vic))).toEqual({ userId: vic.userId, sessionsEnded: 1 });
    expect((await query(third.client, 'auth.user')).status).toBe(401);
    expect(data<TenantMember[]>(await query(ada, 'tenants.members')).map((m) => m.email)).not.toContain('vic@fabrikam.test');
    const gone = await query(ada, 'tenants.memberSessions', vic);
    expect(gone.status).toBe(404);
    expect(gone.body.error?.message).toBe(`${vic.userId} is not a member of Contoso`);
  });

  it("cannot reach another tenant's members: NOT_FOUND, and nothing changes", async () => {
    await setMembership('vic@fabrikam.test', CONTOSO.id, 'none');
    const { client: ada } = await sessionIn('ada@contoso.test', CONTOSO.id);
    const vic = { userId: ids['vic@fabrikam.test'] };
    const vicSession = await sessionIn('vic@fabrikam.test', FABRIKAM.id);
    const before = await snapshot();
    for (const [path, input] of [
      ['tenants.updateMember', { ...vic, role: 'admin' }],
      ['tenants.removeMember', vic],
      ['tenants.revokeMemberSessions', vic],
    ] as const) {
      expect((await mutate(ada, path, input)).status).toBe(404);
    }
    expect((await query(ada, 'tenants.memberSessions', vic)).status).toBe(404);
    expect(await snapshot()).toEqual(before);
    expect((await me(vicSession.client)).tenantContext?.role).toBe('viewer');
  });

  it("sign-in keeps what a tenant admin set: the token's app roles no longer override it", async () => {
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
    const { client: ada } = await sessionIn('ada@contoso.test', CONTOSO.id);
    data(await mutate(ada, 'tenants.updateMember', { userId: ids['uma@contoso.test'], role: 'admin' }));
    data(await mutate(ada, 'tenants.updateMember', { userId: ids['ada@contoso.test'], role: 'member' }));
    // uma's token carries no admin app role, ada's does: each keeps the role the admin set.
    expect((await me((await signInAs(app.url, 'uma@contoso.test')).client)).tenantContext?.role).toBe('admin');
    expect((await me((await signInAs(app.url, 'ada@contoso.test')).client)).tenantContext?.role).toBe('member');
    await setMembership('ada@contoso.test', CONTOSO.id, 'admin');
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
  });

  it("sign-in does not take a tenant's last active admin away, even when the token's roles say so", async () => {
    // vic's token says viewer; here the directory made vic the only admin of Fabrikam.
    await setMembership('ada@contoso.test', FABRIKAM.id, 'member');
    await setMembership('vic@fabrikam.test', FABRIKAM.id, 'admin');
    expect((await me((await signInAs(app.url, 'vic@fabrikam.test')).client)).tenantContext?.role).toBe('admin');
    // With another admin there, the token's role applies.
    await setMembership('ada@contoso.test', FABRIKAM.id, 'admin');
    expect((await me((await signInAs(app.url, 'vic@fabrikam.test')).client)).tenantContext?.role).toBe('viewer');
    await setMembership('ada@contoso.test', FABRIKAM.id, 'member');
  });

  it('does not remove anyone from their home tenant (their sign-in would bring them back): deactivation keeps them out', async () => {
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
    const { client: ada } = await sessionIn('ada@contoso.test', CONTOSO.id);
    const before = await snapshot();
    const refused = await mutate(ada, 'tenants.removeMember', { userId: ids['uma@contoso.test'] });
    expect(refused.status).toBe(409);
    expect(refused.body.error?.message).toBe(
      'Contoso is the home tenant of uma@contoso.test: their next sign-in would bring the membership back; deactivate it instead',
    );
    expect(refused.body.error?.data.reason).toBe('home_tenant');
    expect(await snapshot()).toEqual(before);
    data(await mutate(ada, 'tenants.updateMember', { userId: ids['uma@contoso.test'], isActive: false }));
    const again = await signInAs(app.url, 'uma@contoso.test');
    expect((await me(again.client)).tenantContext).toBeNull();
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
  });

  it('members:manage is no way to more rights: nobody grants what they do not hold', async () => {
    // uma manages members of Contoso as a member with that one extra permission.
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
    await em().execute(`update user_tenant_memberships set permissions = '["members:manage"]' where user_id = ? and tenant_id = ?`, [
      ids['uma@contoso.test'],
      CONTOSO.id,
    ]);
    await setMembership(ZOE.email, CONTOSO.id, 'viewer');
    const { client: uma } = await sessionIn('uma@contoso.test', CONTOSO.id);
    const before = await snapshot();
    for (const input of [
      { userId: ids[ZOE.email], role: 'admin' },
      { userId: ids[ZOE.email], permissions: ['audit:read'] },
      { userId: ids['uma@contoso.test'], permissions: ['members:manage', 'sessions:manage'] },
    ]) {
      const refused = await mutate(uma, 'tenants.updateMember', input);
      expect(refused.status, JSON.stringify(input)).toBe(403);
      expect(refused.body.error?.message).toMatch(/^You cannot grant permissions you do not hold yourself: /);
      expect(refused.body.error?.data.reason).toBe('beyond_own_rights');
    }
    expect((await mutate(uma, 'tenants.addMember', { email: YAN.email, role: 'admin' })).status).toBe(403);
    // Nor can uma act on ada, who holds more: demote, deactivate, remove, or see and end her sessions.
    const ada = { userId: ids['ada@contoso.test'] };
    for (const [path, input, message] of [
      ['tenants.updateMember', { ...ada, role: 'viewer' }, /^You cannot act on ada@contoso.test, who holds permissions you do not: /],
      ['tenants.updateMember', { ...ada, isActive: false }, /^You cannot act on ada@contoso.test, who holds permissions you do not: /],
      ['tenants.removeMember', ada, /^You cannot act on ada@contoso.test, who holds permissions you do not: /],
      ['tenants.revokeMemberSessions', ada, /^This needs the permission sessions:manage in Contoso/],
    ] as const) {
      const refused = await mutate(uma, path, input);
      expect(refused.status, path).toBe(403);
      expect(refused.body.error?.message).toMatch(message);
    }
    expect((await query(uma, 'tenants.memberSessions', ada)).status).toBe(403);
    expect(await snapshot()).toEqual(before);
    // What uma holds, uma may grant.
    expect(data<TenantMember>(await mutate(uma, 'tenants.updateMember', { userId: ids[ZOE.email], role: 'member' })).role).toBe('member');
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
    await setMembership(ZOE.email, CONTOSO.id, 'none');
  });

  it('refuses bad input with the field named', async () => {
    const { client: ada } = await sessionIn('ada@contoso.test', CONTOSO.id);
    const cases: [string, unknown, string][] = [
      ['tenants.updateMember', { userId: 'me' }, 'userId: must be a user id (a UUID)'],
      ['tenants.updateMember', { userId: ids['uma@contoso.test'] }, 'input: give at least one of role, permissions or isActive'],
      ['tenants.updateMember', { userId: ids['uma@contoso.test'], permissions: ['root:all'] }, 'permissions.0:'],
      ['tenants.updateMember', { userId: ids['uma@contoso.test'], permissions: ['audit:read', 'audit:read'] }, 'permissions: lists a permission twice'],
      ['tenants.removeMember', {}, 'userId:'],
      ['auth.switchTenant', { tenantId: 'contoso\u0000' }, 'tenantId: must not contain control characters'],
      ['auth.switchTenant', {}, 'tenantId: is required'],
      ['tenants.addMember', { email: 'a@b.test' }, 'role: is required'],
      ['tenants.addMember', { email: 'a@b.test', role: 'owner' }, 'role: must be one of admin, member, viewer'],
      ['tenants.addMember', { email: 'a@b.test', role: 'viewer', isAdmin: true }, 'input: "isAdmin" is not a field here'],
    ];
    for (const [path, input, message] of cases) {
      const refused = await mutate(ada, path, input);
      expect(refused.status, path).toBe(400);
      expect(refused.body.error?.message).toContain(message);
    }
  });
});

describe('random and hostile input over HTTP', () => {
  it('is answered with a 4xx or success, never a 500', async () => {
    const { client: ada } = await sessionIn('ada@contoso.test', CONTOSO.id);
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.uuid(),
      fc.constantFrom('admin', 'viewer', 'audit:read', '\u0000', 'a\u0000b', '\ud800', CONTOSO.id),
    );
    const input = fc.oneof(value, fc.record({ userId: value, role: value, permissions: value, isActive: value, email: value, tenantId: value }, { requiredKeys: [] }));
    const paths = ['auth.switchTenant', 'tenants.addMember', 'tenants.updateMember', 'tenants.removeMember', 'tenants.revokeMemberSessions'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), input, async (path, sent) => {
        const answer = await mutate(ada, path, sent);
        expect([200, 400, 403, 404, 409], `${path} ${JSON.stringify(sent)}: ${JSON.stringify(answer.body)}`).toContain(answer.status);
      }),
      { numRuns: 60 },
    );
    // Nothing random reached a real member: Contoso still has its admin.
    expect(data<TenantMember[]>(await query(ada, 'tenants.members')).find((m) => m.email === 'ada@contoso.test')?.role).toBe('admin');
  });
});

/** Every tenant-scoped procedure, as called in the matrix, and what it needs to have something to act on. */
const PROCEDURES = [
  { name: 'tenants.members', kind: 'query', input: () => undefined },
  { name: 'tenants.addMember', kind: 'mutation', input: () => ({ email: YAN.email, role: 'viewer' }) },
  { name: 'tenants.updateMember', kind: 'mutation', input: () => ({ userId: ids[ZOE.email], role: 'viewer' }) },
  { name: 'tenants.removeMember', kind: 'mutation', input: () => ({ userId: ids[ZOE.email] }) },
  { name: 'tenants.memberSessions', kind: 'query', input: () => ({ userId: ids[ZOE.email] }) },
  { name: 'tenants.revokeMemberSessions', kind: 'mutation', input: () => ({ userId: ids[ZOE.email] }) },
  { name: 'auth.switchTenant', kind: 'mutation', input: (tenantId: string) => ({ tenantId }) },
] as const;
const STATES = ['admin', 'member', 'viewer', 'non-member', 'deactivated'] as const;
/** Who may call what: only admins administer; anyone with an active membership may switch to it. */
const ALLOWED: Record<(typeof STATES)[number], (procedure: string) => boolean> = {
  admin: () => true,
  member: (procedure) => procedure === 'auth.switchTenant',
  viewer: (procedure) => procedure === 'auth.switchTenant',
  'non-member': () => false,
  deactivated: () => false,
};

describe('the isolation matrix', () => {
  const table: Record<string, string>[] = [];
  afterAll(() => {
    console.log(`isolation matrix (${databaseMode}):\n${table.map((row) => Object.values(row).join(' | ')).join('\n')}`);
  });

  for (const tenant of DEMO_TENANTS) {
    for (const state of STATES) {
      it(`${tenant.name}, as ${state}: administration ${state === 'admin' ? 'allowed' : 'FORBIDDEN'}, switching ${ALLOWED[state]('auth.switchTenant') ? 'allowed' : 'FORBIDDEN'}`, async () => {
        const row: Record<string, string> = { tenant: tenant.name, actor: `uma as ${state}` };
        if (table.length === 0) table.push({ tenant: 'tenant', actor: 'actor', ...Object.fromEntries(PROCEDURES.map((p) => [p.name, p.name])) });
        for (const procedure of PROCEDURES) {
          // The same starting point for every call: ada admin, Zoe member with a session there, Yan
          // outside, uma as the row says.
          await setMembership('ada@contoso.test', tenant.id, 'admin');
          await setMembership(ZOE.email, tenant.id, 'member');
          await setMembership(YAN.email, tenant.id, 'none');
          await setMembership('uma@contoso.test', tenant.id, state === 'non-member' ? 'none' : state);
          await sessionIn(ZOE.email, tenant.id);
          // To switch, uma starts in the other tenant; everything else acts on the active tenant.
          const switching = procedure.name === 'auth.switchTenant';
          const { client } = await sessionIn('uma@contoso.test', switching ? OTHER[tenant.id]!.id : tenant.id);
          const input = procedure.input(tenant.id);

          const before = await snapshot();
          const answer = procedure.kind === 'query' ? await query(client, procedure.name, input) : await mutate(client, procedure.name, input);
          const allowed = ALLOWED[state](procedure.name);
          row[procedure.name] = answer.status === 200 ? 'allowed' : answer.status === 403 ? 'FORBIDDEN' : String(answer.status);
          if (allowed) {
            expect(answer.status, `${procedure.name}: ${JSON.stringify(answer.body.error)}`).toBe(200);
          } else {
            expect(answer.status, procedure.name).toBe(403);
            expect(answer.body.error?.data.code).toBe('FORBIDDEN');
            expect(await snapshot(), `${procedure.name} changed something`).toEqual(before);
          }
        }
        table.push(row);
      });
    }
  }
});
