import type { EntityManager } from '@mikro-orm/postgresql';
import { effectivePermissions, type Role, type TenantContext } from '@mreg/shared';
import type { Cache } from '../../cache/cache';
import { invalidate, readThrough } from '../../cache/read-through';
import { publishInvalidation } from '../../cache/invalidation';

// A person's standing in a tenant (role, permissions), resolved on every request. With
// MREG_FASTMCP_TENANT_CONTEXT_CACHING it is cached per user and tenant under
// `tenant-context:<tenant id>:<user id>`, read through with stale markers (cache/read-through.ts):
// every membership change invalidates it, and a rebuild never undoes that.

/** A cached context lives at most this long, so that a change made outside the app shows within minutes. */
const CONTEXT_TTL_SECONDS = 15 * 60;

/** Where the context of `userId` in `tenantId` is cached. */
export const tenantContextKey = (tenantId: string, userId: string) => `tenant-context:${tenantId}:${userId}`;

/**
 * The active membership's context from the database, or null when there is none. With `lock`, the
 * membership row is locked for update until the caller's transaction ends (the caller writes it).
 */
export async function loadTenantContext(
  em: EntityManager,
  userId: string,
  tenantId: string,
  { lock = false } = {},
): Promise<TenantContext | null> {
  const [row] = await em.execute<{ role: Role; permissions: string[]; name: string }[]>(
    `select m.role, m.permissions, t.name
       from user_tenant_memberships m join tenants t on t.id = m.tenant_id
      where m.user_id = ? and m.tenant_id = ? and m.is_active${lock ? ' for update of m' : ''}`,
    [userId, tenantId],
  );
  if (!row) return null;
  return {
    tenantId,
    tenantName: row.name,
    role: row.role,
    isAdmin: row.role === 'admin',
    permissions: effectivePermissions(row.role, row.permissions),
  };
}

/**
 * The context of `userId` in `tenantId`: from the cache when one is given, else the database.
 * `prefetched` is what its cache key held, when the caller read it already.
 */
export async function resolveTenantContext(
  deps: { em: EntityManager; cache: Cache | undefined },
  userId: string,
  tenantId: string,
  prefetched?: { value: unknown },
): Promise<TenantContext | null> {
  const { em, cache } = deps;
  if (!cache) return loadTenantContext(em, userId, tenantId);
  // Wrapped, so that "no membership" (null) is cached too.
  const load = async () => ({ context: await loadTenantContext(em, userId, tenantId) });
  const cached = await readThrough(cache, tenantContextKey(tenantId, userId), CONTEXT_TTL_SECONDS, load, prefetched);
  return cached.context;
}

/** These people's standing in the tenant changed: every instance rebuilds it at their next request. */
export async function dropTenantContexts(cache: Cache | undefined, tenantId: string, userIds: readonly string[]): Promise<void> {
  if (!cache) return;
  await invalidate(cache, userIds.map((userId) => tenantContextKey(tenantId, userId)), CONTEXT_TTL_SECONDS);
  // And what instances keep in their own memory of it (the gateway's verified callers).
  await publishInvalidation(cache, { kind: 'tenant-context', tenantId, userIds });
}
