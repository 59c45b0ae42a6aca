import type { EntityManager } from '@mikro-orm/postgresql';
import type { Role } from '@mreg/shared';
import type { IdentityClaims } from '../../identity/sign-in-client';
import { audit } from '../audit/audit.writer';
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
 * token's email, name and roles), and the home-tenant membership: created active when missing, its
 * role re-read from the token's app roles every time, unless a tenant admin has set it since (then
 * theirs stands), or it would take the tenant's last active admin away. A membership a tenant admin
 * deactivated stays deactivated: signing in again does not undo that. A membership created or a
 * role changed is recorded (member.added, member.role_changed), by MREG itself. Call inside the
 * transaction that also creates the session.
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
  // Membership changes of a tenant are serialised on its row (as tenant administration does), so
  // that the last-admin rule below holds against a concurrent demotion, and the role read here is
  // the one the upsert replaces.
  await em.execute(`select id from tenants where id = ? for update`, [claims.tid]);
  const [previous] = await em.execute<{ role: Role }[]>(`select role from user_tenant_memberships where user_id = ? and tenant_id = ? for update`, [
    user.id,
    claims.tid,
  ]);
  const [membership] = await em.execute<{ role: Role }[]>(
    `insert into user_tenant_memberships (user_id, tenant_id, role, permissions, is_active, joined_at, last_active)
     values (?, ?, ?, '[]', true, ?, ?)
     on conflict (user_id, tenant_id) do update set
       last_active = excluded.last_active,
       role = case
         when user_tenant_memberships.role_managed_by <> 'directory' then user_tenant_memberships.role
         when user_tenant_memberships.role = 'admin' and excluded.role <> 'admin' and user_tenant_memberships.is_active
              and not exists (select 1 from user_tenant_memberships other
                               where other.tenant_id = excluded.tenant_id and other.user_id <> excluded.user_id
                                 and other.role = 'admin' and other.is_active)
           then user_tenant_memberships.role
         else excluded.role
       end
     returning role`,
    [user.id, claims.tid, roleFromAppRoles(claims.roles), now, now],
  );
  // MREG's own changes, from the directory, recorded with them. A sign-in never reactivates (above).
  const { role } = membership!;
  if (!previous || role !== previous.role) {
    await audit(em, {
      action: previous ? 'member.role_changed' : 'member.added',
      tenantId: claims.tid,
      actor: { kind: 'system' },
      target: { kind: 'user', id: user.id, label: claims.email },
      details: previous ? { role, previousRole: previous.role, source: 'directory' } : { role, source: 'directory' },
    });
  }
  return { userId: user.id, tenantId: claims.tid };
}
