import type { EntityManager } from '@mikro-orm/postgresql';
import type { DirectoryMember, Role, TenantContext } from '@mreg/shared';

/** Most people a directory lists: the members list's own bound (tenants.service.ts). */
const DIRECTORY_LIMIT = 1000;

/**
 * Who is in the tenant, for any of its members (members:read): the active members' names, pictures
 * and roles, admins first (whom the others ask), then by name. Only these columns are read, so that
 * nothing of what admins alone see can reach a viewer by mistake.
 */
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

export async function listDirectory(em: EntityManager, tenant: TenantContext): Promise<DirectoryMember[]> {
  const rows = await em.execute<{ user_id: string; display_name: string | null; name: string; avatar_url: string | null; role: Role }[]>(
    `select m.user_id, p.display_name, u.name, p.avatar_url, m.role
       from user_tenant_memberships m join users u on u.id = m.user_id left join user_profiles p on p.user_id = m.user_id
      where m.tenant_id = ? and m.is_active
      order by case m.role when 'admin' then 0 when 'member' then 1 else 2 end, lower(coalesce(p.display_name, u.name)), m.user_id
      limit ${DIRECTORY_LIMIT}`,
    [tenant.tenantId],
  );
  return rows.map((row) => ({ userId: row.user_id, name: directoryName(row.display_name, row.name), avatarUrl: row.avatar_url, role: row.role }));
}
