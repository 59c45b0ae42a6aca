import type { EntityManager } from '@mikro-orm/postgresql';
import type { Role } from '@mreg/shared';
import type { IdentityClaims } from '../../identity/sign-in-client';
import { UserTenantMembership } from '../tenants/memberships.entity';
import { Tenant } from '../tenants/tenants.entity';
import { User } from './users.entity';

/** The Entra ID app roles that set a person's role in their home tenant at sign-in. */
export const ADMIN_APP_ROLE = 'admin';
export const VIEWER_APP_ROLE = 'viewer';

/** Home-tenant role from the token's app roles: admin, else viewer, else member. */
export function roleFromAppRoles(roles: readonly string[]): Role {
  if (roles.includes(ADMIN_APP_ROLE)) return 'admin';
  if (roles.includes(VIEWER_APP_ROLE)) return 'viewer';
  return 'member';
}

/**
 * Records a sign-in: the tenant (named when the token names it), the user (found by oid, with the
 * token's email, name and roles), and the home-tenant membership: created active when missing,
 * its role re-read from the token's app roles every time. A membership a tenant admin deactivated
 * stays deactivated: signing in again does not undo that. Call inside the transaction that also
 * creates the session.
 */
export async function recordSignIn(em: EntityManager, claims: IdentityClaims, now = new Date()): Promise<{ userId: string; tenantId: string }> {
  const tenants = em.createQueryBuilder(Tenant).insert({ id: claims.tid, name: claims.tenantName ?? claims.tid }).onConflict('id');
  await (claims.tenantName ? tenants.merge(['name']) : tenants.ignore());

  const user = await em.upsert(
    User,
    {
      externalId: claims.oid,
      homeTenant: claims.tid,
      email: claims.email,
      name: claims.name,
      roles: claims.roles,
      lastLoginAt: now,
      updatedAt: now,
    },
    {
      onConflictFields: ['externalId'],
      onConflictMergeFields: ['homeTenant', 'email', 'name', 'roles', 'lastLoginAt', 'updatedAt'],
    },
  );
  await em.upsert(
    UserTenantMembership,
    { user: user.id, tenant: claims.tid, role: roleFromAppRoles(claims.roles), isActive: true, lastActive: now },
    { onConflictFields: ['user', 'tenant'], onConflictMergeFields: ['role', 'lastActive'] },
  );
  return { userId: user.id, tenantId: claims.tid };
}
