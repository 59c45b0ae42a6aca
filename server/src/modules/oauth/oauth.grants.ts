import type { EntityManager } from '@mikro-orm/postgresql';
import type { OAuthGrant } from '@mreg/shared';
import type { Cache } from '../../cache/cache';
import { AppError } from '../../errors';
import { audit } from '../audit/audit.writer';
import { redirectHost } from './oauth.clients';
import { forgetRevokedTokens, revokeGrantsWhere } from './oauth.tokens';
import { parseResource } from './resource';

/**
 * Connected apps: a person's live grants (`auth.grants`), and a tenant admin's view of a member's
 * grants in the tenant (`tenants.memberGrants`). Revoking one ends its tokens at once on every
 * instance: its refresh tokens are refused by the database, its access tokens by their tombstones.
 */

export interface GrantDeps {
  em: EntityManager;
  cache: Cache;
  clock: () => Date;
  publicUrl: URL;
}

interface GrantRow {
  id: string;
  client_id: string;
  client_name: string | null;
  redirect_uris: string[];
  tenant_id: string;
  tenant_name: string;
  resource: string;
  approved_at: Date;
  last_used_at: Date | null;
}

/** The deps from a tRPC context. */
export const grantDeps = (ctx: { em: EntityManager; cache: Cache; clock: () => Date; settings: { publicUrl: URL } }): GrantDeps => ({
  em: ctx.em,
  cache: ctx.cache,
  clock: ctx.clock,
  publicUrl: ctx.settings.publicUrl,
});

/** Live grants: not revoked, and with a refresh token or code still good (else the client can do nothing more). */
async function liveGrants(deps: GrantDeps, where: string, params: unknown[]): Promise<OAuthGrant[]> {
  const now = deps.clock();
  const rows = await deps.em.execute<GrantRow[]>(
    `select g.id, g.client_id, c.name as client_name, c.redirect_uris, g.tenant_id, t.name as tenant_name, g.resource, g.approved_at, g.last_used_at
       from oauth_grants g join oauth_clients c on c.id = g.client_id join tenants t on t.id = g.tenant_id
      where g.revoked_at is null and ${where}
        and (exists (select 1 from oauth_tokens k where k.grant_id = g.id and k.kind = 'refresh' and k.used_at is null and k.revoked_at is null and k.expires_at > ?)
          or exists (select 1 from oauth_codes o where o.grant_id = g.id and o.used_at is null and o.expires_at > ?))
      order by coalesce(g.last_used_at, g.approved_at) desc, g.id`,
    [...params, now, now],
  );
  return rows.map((row) => ({
    id: row.id,
    client: { id: row.client_id, name: row.client_name, redirectHost: redirectHost(row.redirect_uris[0] ?? '') },
    tenantId: row.tenant_id,
    tenantName: row.tenant_name,
    resource: parseResource(row.resource, deps.publicUrl) ?? { url: row.resource, slug: null },
    approvedAt: new Date(row.approved_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
  }));
}

/** My connected MCP clients, in every tenant. */
export const listMyGrants = (deps: GrantDeps, userId: string) => liveGrants(deps, 'g.user_id = ?', [userId]);

/** A member's connected MCP clients in one tenant. */
export const listMemberGrants = (deps: GrantDeps, tenantId: string, userId: string) => liveGrants(deps, 'g.user_id = ? and g.tenant_id = ?', [userId, tenantId]);

/**
 * `actorId` revokes one grant matching `where`, recorded (oauth.grant_revoked) in the grant's
 * tenant in the same transaction; NOT_FOUND (nothing changed, nothing recorded) when there is none.
 */
async function revokeOne(deps: GrantDeps, actorId: string, reason: string, where: string, params: unknown[]): Promise<{ revoked: true }> {
  const now = deps.clock();
  const hashes = await deps.em.fork().transactional(async (tx) => {
    const [row] = await tx.execute<{ id: string }[]>(`select g.id from oauth_grants g where g.revoked_at is null and ${where} for update`, params);
    if (!row) throw new AppError('NOT_FOUND', 'No such connected app (it may have been revoked already)');
    const { grants, tokenHashes } = await revokeGrantsWhere(tx, now, reason, 'g.id = ?', [row.id]);
    for (const grant of grants) {
      await audit(tx, {
        action: 'oauth.grant_revoked',
        tenantId: grant.tenantId,
        actor: { kind: 'user', userId: actorId },
        target: { kind: 'grant', id: grant.id, label: grant.clientName },
        details: { userId: grant.userId, clientId: grant.clientId },
      });
    }
    return tokenHashes;
  });
  await forgetRevokedTokens(deps.cache, hashes);
  return { revoked: true };
}

export const revokeMyGrant = (deps: GrantDeps, userId: string, grantId: string) => revokeOne(deps, userId, 'user_revoked', 'g.id = ? and g.user_id = ?', [grantId, userId]);

/** A tenant admin (`actorId`) revokes a member's grant in the tenant. */
export const revokeMemberGrant = (deps: GrantDeps, actorId: string, tenantId: string, userId: string, grantId: string) =>
  revokeOne(deps, actorId, 'admin_revoked', 'g.id = ? and g.user_id = ? and g.tenant_id = ?', [grantId, userId, tenantId]);
