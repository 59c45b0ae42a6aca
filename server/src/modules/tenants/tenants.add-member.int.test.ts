import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Role, TenantMember } from '@mreg/shared';
import { CONTOSO, data, em, FABRIKAM, ids, mutate, sessionIn, setMembership, snapshot, useTenantsApp, ZOE } from './tenants.testing';

/**
 * tenants.addMember over HTTP, beyond the basics in tenants.members.int.test.ts: whom an email
 * finds, when anyone's directory may claim any address (Entra ID does not verify the email claim
 * across organisations), and bringing a deactivated member back under the rules updateMember
 * applies to the same change.
 */

useTenantsApp();

/** A third organisation: none of the demo people is in it. */
const NORTHWIND = { id: '6a1c0e2b-4a7d-4c44-9a51-00000e700003', name: 'Northwind' };

beforeAll(async () => {
  await em().execute(`insert into tenants (id, name) values (?, ?)`, [NORTHWIND.id, NORTHWIND.name]);
});

/**
 * Someone as their sign-in records them: `home` from the token, then the active memberships given
 * (a sign-in adds the home tenant's; here only those named). `created` orders people of one email.
 */
async function person(email: string, home: string, { memberOf = [] as string[], daysAgo = 0 } = {}): Promise<string> {
  const fork = em();
  const [row] = await fork.execute<{ id: string }[]>(
    `insert into users (external_id, home_tenant_id, email, name, roles, created_at) values (?, ?, ?, ?, '[]', now() - make_interval(days => ?)) returning id`,
    [randomUUID(), home, email, email, daysAgo],
  );
  for (const tenantId of memberOf) {
    await fork.execute(`insert into user_tenant_memberships (user_id, tenant_id, role, permissions, is_active) values (?, ?, 'member', '[]', true)`, [row!.id, tenantId]);
  }
  return row!.id;
}

const tenantsOf = async (userId: string) =>
  (await em().execute<{ tenant_id: string }[]>(`select tenant_id from user_tenant_memberships where user_id = ? order by tenant_id`, [userId])).map(
    (row) => row.tenant_id,
  );

const add = async (email: string, role: Role = 'viewer', as = 'ada@contoso.test') =>
  mutate((await sessionIn(as, CONTOSO.id)).client, 'tenants.addMember', { email, role });

const UNKNOWN = (email: string) =>
  `No one with the email ${email} is known in Contoso's organisation or among the members of your tenants: ` +
  `people of Contoso's organisation must have signed in to MREG once, and people from other organisations join by invitation, not by email`;

describe('whom tenants.addMember finds by email', () => {
  it("never adds another organisation's person for an address they claim, and says why in words", async () => {
    // Northwind's directory gives one of its people a Contoso address; nobody of Contoso has it.
    const impostor = await person('lee@contoso.test', NORTHWIND.id, { memberOf: [NORTHWIND.id] });
    await person('nat@northwind.test', NORTHWIND.id, { memberOf: [NORTHWIND.id] });
    const before = await snapshot();
    // The same words whether another organisation has such a person or nobody has: the refusal tells no secrets.
    for (const email of ['lee@contoso.test', 'LEE@contoso.test', 'nat@northwind.test', 'nobody@example.test']) {
      const refused = await add(email);
      expect(refused.status, `${email}: ${JSON.stringify(refused.body)}`).toBe(404);
      expect(refused.body.error?.message).toBe(UNKNOWN(email));
      expect(refused.body.error?.data).toMatchObject({ code: 'NOT_FOUND', reason: 'unknown_email' });
    }
    expect((await snapshot()).memberships).toEqual(before.memberships);
    expect(await tenantsOf(impostor)).toEqual([NORTHWIND.id]);
  });

  it("finds the tenant's own person though another organisation's claims the same address, and earlier", async () => {
    const impostor = await person('kim@contoso.test', NORTHWIND.id, { memberOf: [NORTHWIND.id], daysAgo: 1 });
    const kim = await person('kim@contoso.test', CONTOSO.id);
    const added = data<TenantMember>(await add('kim@contoso.test'));
    expect(added).toMatchObject({ userId: kim, email: 'kim@contoso.test', role: 'viewer', isActive: true });
    expect(await tenantsOf(impostor)).toEqual([NORTHWIND.id]);
  });

  it('finds someone of another organisation who shares a tenant with the actor, both memberships active', async () => {
    // vic, of Fabrikam, is in Fabrikam with ada; ada's membership there, or vic's, deactivated: no longer.
    const vic = ids['vic@fabrikam.test']!;
    for (const who of ['ada@contoso.test', 'vic@fabrikam.test']) {
      await setMembership(who, FABRIKAM.id, 'deactivated');
      const refused = await add('vic@fabrikam.test');
      expect(refused.status, `${who} deactivated in Fabrikam: ${JSON.stringify(refused.body)}`).toBe(404);
      expect(refused.body.error?.message).toBe(UNKNOWN('vic@fabrikam.test'));
      await setMembership(who, FABRIKAM.id, who === 'ada@contoso.test' ? 'member' : 'viewer');
    }
    expect(data<TenantMember>(await add('vic@fabrikam.test'))).toMatchObject({ userId: vic, role: 'viewer', isActive: true });
    await setMembership('vic@fabrikam.test', CONTOSO.id, 'none');
  });

  it("brings back a deactivated member of the tenant from another organisation: the tenant's own members are known to it", async () => {
    const ned = await person('ned@northwind.test', NORTHWIND.id, { memberOf: [NORTHWIND.id] });
    await em().execute(`insert into user_tenant_memberships (user_id, tenant_id, role, permissions, is_active) values (?, ?, 'member', '[]', false)`, [
      ned,
      CONTOSO.id,
    ]);
    expect(data<TenantMember>(await add('ned@northwind.test', 'member'))).toMatchObject({ userId: ned, role: 'member', isActive: true });
  });

  it("prefers the tenant's own person to a co-member of the actor with the same address; two equally near are refused as ambiguous", async () => {
    // A Fabrikam person, in Fabrikam with ada, has the address of someone of Contoso.
    await person('sam@contoso.test', FABRIKAM.id, { memberOf: [FABRIKAM.id], daysAgo: 1 });
    const sam = await person('sam@contoso.test', CONTOSO.id);
    expect(data<TenantMember>(await add('sam@contoso.test')).userId).toBe(sam);

    // Two of Contoso's own with one address: which one is meant, only a person can tell.
    await person('pat@contoso.test', CONTOSO.id);
    await person('pat@contoso.test', CONTOSO.id);
    const before = await snapshot();
    const refused = await add('pat@contoso.test');
    expect(refused.status).toBe(409);
    expect(refused.body.error?.message).toBe('More than one person who could be added to Contoso has the email pat@contoso.test; this cannot tell which one to add');
    expect(refused.body.error?.data.reason).toBe('ambiguous_email');
    expect((await snapshot()).memberships).toEqual(before.memberships);
  });
});

/** `email` as a deactivated member of `tenantId` who held `role` and `permissions` there. */
async function deactivated(email: string, tenantId: string, role: Role, permissions: string[] = []) {
  await setMembership(email, tenantId, role);
  await em().execute(`update user_tenant_memberships set is_active = false, permissions = ? where user_id = ? and tenant_id = ?`, [
    JSON.stringify(permissions),
    ids[email],
    tenantId,
  ]);
}

/** uma, a member of Contoso who manages its members with that one extra permission. */
async function umaManagingMembers() {
  await setMembership('uma@contoso.test', CONTOSO.id, 'member');
  await em().execute(`update user_tenant_memberships set permissions = '["members:manage"]' where user_id = ? and tenant_id = ?`, [
    ids['uma@contoso.test'],
    CONTOSO.id,
  ]);
  return (await sessionIn('uma@contoso.test', CONTOSO.id)).client;
}

describe('bringing a deactivated member back with tenants.addMember', () => {
  it('refuses it to someone the member holds more than, whatever role is asked, as updateMember refuses the same change', async () => {
    const uma = await umaManagingMembers();
    for (const [role, permissions, more] of [
      ['admin', [], 'sessions:manage, audit:read'],
      ['viewer', ['audit:read'], 'audit:read'],
    ] as const) {
      await deactivated(ZOE.email, CONTOSO.id, role, [...permissions]);
      const before = await snapshot();
      for (const [path, input] of [
        ['tenants.addMember', { email: ZOE.email, role: 'member' }],
        ['tenants.addMember', { email: ZOE.email, role: 'viewer' }],
        ['tenants.updateMember', { userId: ids[ZOE.email], role: 'viewer', isActive: true }],
      ] as const) {
        const refused = await mutate(uma, path, input);
        expect(refused.status, `${role} ${JSON.stringify(input)}: ${JSON.stringify(refused.body)}`).toBe(403);
        expect(refused.body.error?.message).toBe(`You cannot act on ${ZOE.email}, who holds permissions you do not: ${more}`);
      }
      expect(await snapshot()).toEqual(before);
    }
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
    await setMembership(ZOE.email, CONTOSO.id, 'none');
  });

  it('otherwise applies what updateMember applies: nothing beyond the actor’s own rights, and an admin may bring an admin back lower', async () => {
    const uma = await umaManagingMembers();
    await deactivated(ZOE.email, CONTOSO.id, 'viewer');
    const before = await snapshot();
    const beyond = await mutate(uma, 'tenants.addMember', { email: ZOE.email, role: 'admin' });
    expect(beyond.status).toBe(403);
    expect(beyond.body.error?.message).toBe('You cannot grant permissions you do not hold yourself: sessions:manage, audit:read');
    expect(beyond.body.error?.data.reason).toBe('beyond_own_rights');
    expect(await snapshot()).toEqual(before);
    expect(data<TenantMember>(await mutate(uma, 'tenants.addMember', { email: ZOE.email, role: 'member' }))).toMatchObject({
      role: 'member',
      permissions: [],
      isActive: true,
    });

    // ada holds all an admin does: she may bring one back as a viewer, as she may demote one.
    await deactivated(ZOE.email, CONTOSO.id, 'admin', ['audit:read']);
    const { client: ada } = await sessionIn('ada@contoso.test', CONTOSO.id);
    expect(data<TenantMember>(await mutate(ada, 'tenants.addMember', { email: ZOE.email, role: 'viewer' }))).toMatchObject({
      role: 'viewer',
      permissions: [],
      isActive: true,
    });
    await setMembership('uma@contoso.test', CONTOSO.id, 'member');
    await setMembership(ZOE.email, CONTOSO.id, 'none');
  });
});
