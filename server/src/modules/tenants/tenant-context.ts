import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { effectivePermissions, type Role, type TenantContext } from '@mreg/shared';
import type { Cache } from '../../cache/cache';

/**
 * A person's standing in a tenant (role, permissions), resolved on every request. With
 * MREG_FASTMCP_TENANT_CONTEXT_CACHING it is cached per user and tenant under
 * `tenant-context:<tenant id>:<user id>`; every membership change puts a stale marker there, and a
 * rebuild stores its result only where the key is empty or still holds the marker it saw, so a
 * rebuild that read the database before a change can never overwrite what the change wrote.
 */

/** A cached context lives at most this long, so that a change made outside the app shows within minutes. */
const CONTEXT_TTL_SECONDS = 15 * 60;

interface CachedContext {
  context: TenantContext | null;
}
interface StaleMarker {
  stale: string;
}

const contextKey = (tenantId: string, userId: string) => `tenant-context:${tenantId}:${userId}`;

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

/** The context of `userId` in `tenantId`: from the cache when one is given, else the database. */
export async function resolveTenantContext(
  deps: { em: EntityManager; cache: Cache | undefined },
  userId: string,
  tenantId: string,
): Promise<TenantContext | null> {
  const { em, cache } = deps;
  if (!cache) return loadTenantContext(em, userId, tenantId);
  const key = contextKey(tenantId, userId);
  const cached = await cache.get<CachedContext | StaleMarker>(key);
  if (cached && 'context' in cached) return cached.context;
  const context = await loadTenantContext(em, userId, tenantId);
  const value: CachedContext = { context };
  if (cached) await cache.replace(key, cached, value, CONTEXT_TTL_SECONDS);
  else await cache.add(key, value, CONTEXT_TTL_SECONDS);
  return context;
}

/** These people's standing in the tenant changed: every instance rebuilds it at their next request. */
export async function dropTenantContexts(cache: Cache | undefined, tenantId: string, userIds: readonly string[]): Promise<void> {
  if (!cache) return;
  await Promise.all(
    userIds.map((userId) =>
      cache.setEventually(contextKey(tenantId, userId), { stale: randomBytes(8).toString('hex') } satisfies StaleMarker, CONTEXT_TTL_SECONDS),
    ),
  );
}
