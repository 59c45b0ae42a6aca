import type { EntityManager } from '@mikro-orm/postgresql';
import { DEMO_TENANTS, DEMO_USERS } from '../../identity/demo-directory';
import { User } from '../users/users.entity';
import { UserTenantMembership } from './memberships.entity';
import { Tenant } from './tenants.entity';

/**
 * Inserts what is missing of the development provider's demo directory (its tenants, people and
 * their memberships) and leaves the rest alone, so that changes made in the app (a role, a
 * deactivated membership) survive restarts. Safe to run at every boot and from several processes
 * at once.
 */
export async function seedDemoDirectory(em: EntityManager): Promise<void> {
  await em.transactional(async (tx) => {
    await tx.createQueryBuilder(Tenant).insert(DEMO_TENANTS.map((t) => ({ id: t.id, name: t.name }))).onConflict('id').ignore();
    await tx
      .createQueryBuilder(User)
      .insert(DEMO_USERS.map((u) => ({ externalId: u.oid, homeTenant: u.tid, email: u.email, name: u.name, roles: u.roles })))
      .onConflict('externalId')
      .ignore();
    const users = await tx.find(User, { externalId: { $in: DEMO_USERS.map((u) => u.oid) } });
    const idOf = new Map(users.map((u) => [u.externalId, u.id]));
    await tx
      .createQueryBuilder(UserTenantMembership)
      .insert(
        DEMO_USERS.flatMap((u) =>
          u.memberships.map((m) => ({ user: idOf.get(u.oid)!, tenant: m.tenantId, role: m.role, permissions: [], isActive: true })),
        ),
      )
      .onConflict(['user', 'tenant'])
      .ignore();
  });
}
