import { describe, expect, it } from 'vitest';
import type { Role, TenantMember } from '@mreg/shared';
import { CONTOSO, data, em, ids, mutate, sessionIn, setMembership, snapshot, useTenantsApp, ZOE } from './tenants.testing';

/**
 * tenants.addMember over HTTP, beyond the basics in tenants.members.int.test.ts: bringing a
 * deactivated member back follows the rules updateMember applies to the same change.
 */

useTenantsApp();

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
