import type { EntityManager } from '@mikro-orm/postgresql';
import type { DirectoryMember, Role, TenantContext } from '@mreg/shared';
import { ADMINS_FIRST, MEMBER_FROM, MEMBER_LIST_LIMIT } from './tenants.service';

/**
 * The name a directory shows: the person's chosen display name, else their sign-in name, unless
 * that is their email (a provider with no name claim gives MREG the address as the name): then only
 * its local part, so that no address reaches a viewer.
 */
export function directoryName(displayName: string | null, name: string): string {
  if (displayName) return displayName;
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at) || name.slice(at + 1);
}

/**
 * Who is in the tenant, for any of its members (members:read): the active members' names, pictures
 * and roles, admins first (whom the others ask), then by name, as many as the members list shows.
 * Only these columns are read, so that nothing of what admins alone see can reach a viewer by mistake.
 */
export async function listDirectory(em: EntityManager, tenant: TenantContext): Promise<DirectoryMember[]> {
  const rows = await em.execute<{ user_id: string; display_name: string | null; name: string; avatar_url: string | null; role: Role }[]>(
    `select m.user_id, p.display_name, u.name, p.avatar_url, m.role from ${MEMBER_FROM}
      where m.tenant_id = ? and m.is_active
      order by ${ADMINS_FIRST}, lower(coalesce(p.display_name, u.name)), m.user_id
      limit ${MEMBER_LIST_LIMIT}`,
    [tenant.tenantId],
  );
  return rows.map((row) => ({ userId: row.user_id, name: directoryName(row.display_name, row.name), avatarUrl: row.avatar_url, role: row.role }));
}
