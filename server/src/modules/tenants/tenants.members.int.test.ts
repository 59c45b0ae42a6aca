import { describe, expect, it } from 'vitest';
import type { AuthUser, Membership, TenantContext, TenantMember } from '@mreg/shared';
import { signInAs } from '../../testing/sign-in';
import { app, CONTOSO, data, em, FABRIKAM, holding, ids, me, mutate, newCookie, query, sessionIn, setMembership, snapshot, useTenantsApp, YAN, ZOE } from './tenants.testing';

/**
 * Tenant administration through the real app over HTTP (see tenants.int.test.ts): listing, adding,
 * changing and removing members, the last-admin rule, what a membership change does to the member's
 * sessions, what sign-in keeps of an admin's choices, and what members:manage may not grant.
 */

useTenantsApp();

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

  it('adds a person the tenant may know (here one in Fabrikam with ada), and refuses strangers, duplicates and bad input with reasons', async () => {
    await setMembership(ZOE.email, CONTOSO.id, 'none');
    await setMembership(ZOE.email, FABRIKAM.id, 'member');
    const { client } = await sessionIn('ada@contoso.test', CONTOSO.id);
    const added = data<TenantMember>(await mutate(client, 'tenants.addMember', { email: ' ZOE@example.test ', role: 'viewer' }));
    expect(added).toMatchObject({ email: ZOE.email, role: 'viewer', isActive: true, effectivePermissions: ['registry:read', 'members:read'] });

    const again = await mutate(client, 'tenants.addMember', { email: ZOE.email, role: 'member' });
    expect(again.status).toBe(409);
    expect(again.body.error?.message).toBe(`${ZOE.email} is already a member of Contoso`);
    expect(again.body.error?.data.reason).toBe('already_member');

    const stranger = await mutate(client, 'tenants.addMember', { email: 'nobody@example.test', role: 'member' });
    expect(stranger.status).toBe(404);
    expect(stranger.body.error?.message).toBe(
      "No one with the email nobody@example.test is known in Contoso's organisation or among the members of your tenants: " +
        "people of Contoso's organisation must have signed in to MREG once, and people from other organisations join by invitation, not by email",
    );
    expect(stranger.body.error?.data.reason).toBe('unknown_email');

    const bad = await mutate(client, 'tenants.addMember', { email: 'not an email', role: 'owner' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.data.fieldErrors).toMatchObject({ email: ['must be an email address'], role: [expect.any(String)] });

    // Zoe's new tenant is hers to switch to.
    const zoe = await sessionIn(ZOE.email, FABRIKAM.id);
    expect(data<Membership[]>(await query(zoe.client, 'auth.tenants')).map((t) => t.tenantName)).toEqual(['Contoso', 'Fabrikam']);
    expect(data<TenantContext>(await mutate(zoe.client, 'auth.switchTenant', { tenantId: CONTOSO.id })).role).toBe('viewer');
    await setMembership(ZOE.email, CONTOSO.id, 'none');
    await setMembership(ZOE.email, FABRIKAM.id, 'none');
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
    // Yan, once a member, is someone uma may bring back, though not as an admin.
    await setMembership(YAN.email, CONTOSO.id, 'deactivated');
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
    await setMembership(YAN.email, CONTOSO.id, 'none');
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
