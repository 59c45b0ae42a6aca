import type { EntityManager } from '@mikro-orm/postgresql';
import { OAUTH_ACCESS_TOKEN_PREFIX, OAUTH_ACCESS_TOKEN_SECONDS, OAUTH_REFRESH_TOKEN_PREFIX, OAUTH_REFRESH_TOKEN_SECONDS } from '@mreg/shared';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Cache } from '../../cache/cache';
import { fill, slotIn } from '../../cache/read-through';
import { lastUseRecorder } from '../../lib/last-used';
import { hashToken, newToken } from '../../lib/tokens';
import type { ApiKeyDeps, KeyCheck } from '../apikeys/apikeys.service';
import { checkCredential, forgetCredentials, type CredentialKind, type CredentialRecord } from '../apikeys/credentials';

/**
 * OAuth access and refresh tokens (issue 20): `mreg_at_` / `mreg_rt_` and 32 random bytes in
 * base64url, of which only the SHA-256 is stored. An access token is checked as an API key is: this
 * process's memory (2 s, dropped by any invalidation), then the cache, then the database; the
 * person's standing in the grant's tenant on every request. Revoking a grant marks its rows and puts
 * a tombstone in the cache for each of its live access tokens (every instance, with Redis).
 */

/** Where an access token's record is cached, by hash. */
const tokenCacheKey = (hash: string) => `oauth-token:${hash}`;
/** A tombstone outlives any record cached before it (which lives at most the token's 15 minutes). */
const TOMBSTONE_SECONDS = OAUTH_ACCESS_TOKEN_SECONDS * 2;

const ACCESS_SHAPE = new RegExp(`^${OAUTH_ACCESS_TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`);
const REFRESH_SHAPE = new RegExp(`^${OAUTH_REFRESH_TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`);
export const isAccessTokenShaped = (value: string): boolean => ACCESS_SHAPE.test(value);
export const isRefreshTokenShaped = (value: string): boolean => REFRESH_SHAPE.test(value);

/** What the cache keeps of an access token: facts that never change, but revocation (which buries it). */
interface AccessRecord extends CredentialRecord {
  grantId: string;
  clientId: string;
  resource: string;
  /** Epoch ms. */
  expiresAt: number;
}

async function loadAccessToken(em: EntityManager, hash: string): Promise<AccessRecord | null> {
  const [row] = await em.execute<
    { grant_id: string; user_id: string; tenant_id: string; client_id: string; resource: string; expires_at: Date; revoked_at: Date | null; grant_revoked_at: Date | null }[]
  >(
    `select g.id as grant_id, g.user_id, g.tenant_id, g.client_id, g.resource, t.expires_at, t.revoked_at, g.revoked_at as grant_revoked_at
       from oauth_tokens t join oauth_grants g on g.id = t.grant_id
      where t.token_hash = ? and t.kind = 'access'`,
    [hash],
  );
  if (!row) return null;
  return {
    grantId: row.grant_id,
    userId: row.user_id,
    tenantId: row.tenant_id,
    clientId: row.client_id,
    resource: row.resource,
    expiresAt: new Date(row.expires_at).getTime(),
    revoked: row.revoked_at !== null || row.grant_revoked_at !== null,
  };
}

/** A token by hash, read through the cache; made-up tokens cost a database read, never a cache entry. */
async function cachedAccessToken(cache: Cache, em: EntityManager, hash: string, now: number): Promise<AccessRecord | null> {
  const at = tokenCacheKey(hash);
  const slot = slotIn<AccessRecord>(cache, await cache.get(at));
  if (slot.kind === 'value') return slot.value;
  const loaded = await loadAccessToken(em, hash);
  if (loaded && !loaded.revoked && loaded.expiresAt > now) await fill(cache, at, slot, loaded, Math.ceil((loaded.expiresAt - now) / 1000));
  return loaded;
}

const noteUse = lastUseRecorder('oauth_grants');

/** Access tokens, to checkCredential. */
const accessTokenKind = (deps: ApiKeyDeps): CredentialKind<AccessRecord> => ({
  lookup: (hash, now) => (deps.cache ? cachedAccessToken(deps.cache, deps.em, hash, now) : loadAccessToken(deps.em, hash)),
  noteUse,
  usageId: (record) => record.grantId,
  caller: (record, tenant) => ({
    credential: { kind: 'oauth', id: record.grantId, clientId: record.clientId, resource: record.resource, expiresAt: record.expiresAt },
    userId: record.userId,
    tenant,
  }),
  words: {
    unknown: 'The access token is unknown or has been revoked',
    expired: 'The access token has expired; use the refresh token for a new one',
    notMember: "The token's person is no longer an active member of its tenant",
  },
});

/**
 * The caller a presented access token acts for, or why it is refused. Which resource it was issued
 * for is in the caller (`credential.resource`): the route compares it with its own.
 */
export async function authenticateAccessToken(deps: ApiKeyDeps, token: string): Promise<KeyCheck> {
  if (!isAccessTokenShaped(token)) return { ok: false, reason: 'malformed', message: `This is not an MREG access token (they start with ${OAUTH_ACCESS_TOKEN_PREFIX})` };
  return checkCredential(deps, hashToken(token), accessTokenKind(deps));
}

/** A new access token and refresh token for a grant, in the caller's transaction. */
export async function issueTokens(tx: EntityManager, grantId: string, scope: string, now: Date): Promise<OAuthTokens> {
  const access = `${OAUTH_ACCESS_TOKEN_PREFIX}${newToken()}`;
  const refresh = `${OAUTH_REFRESH_TOKEN_PREFIX}${newToken()}`;
  await tx.execute(
    `insert into oauth_tokens (grant_id, kind, token_hash, created_at, expires_at) values (?, 'access', ?, ?, ?), (?, 'refresh', ?, ?, ?)`,
    [
      grantId,
      hashToken(access),
      now,
      new Date(now.getTime() + OAUTH_ACCESS_TOKEN_SECONDS * 1000),
      grantId,
      hashToken(refresh),
      now,
      new Date(now.getTime() + OAUTH_REFRESH_TOKEN_SECONDS * 1000),
    ],
  );
  return { access_token: access, token_type: 'Bearer', expires_in: OAUTH_ACCESS_TOKEN_SECONDS, refresh_token: refresh, scope };
}

/** A grant just revoked: whose, where, and which client's, for its audit event. */
export interface RevokedGrant {
  id: string;
  userId: string;
  tenantId: string;
  clientId: string;
  clientName: string | null;
}

/**
 * Revokes grants in the caller's transaction (`where` on oauth_grants g, with its parameters), with
 * `reason`. Answers the grants it revoked (none that were revoked already), and the hashes of their
 * access tokens still live, for forgetRevokedTokens once the transaction has committed. Refresh
 * tokens need no tombstone: they are only ever read from the database, with their grant.
 */
export async function revokeGrantsWhere(
  tx: EntityManager,
  now: Date,
  reason: string,
  where: string,
  params: unknown[],
): Promise<{ grants: RevokedGrant[]; tokenHashes: string[] }> {
  const rows = await tx.execute<{ id: string; user_id: string; tenant_id: string; client_id: string; client_name: string | null }[]>(
    `update oauth_grants g set revoked_at = ?, revoked_reason = ? where g.revoked_at is null and ${where}
     returning g.id, g.user_id, g.tenant_id, g.client_id, (select c.name from oauth_clients c where c.id = g.client_id) as client_name`,
    [now, reason, ...params],
  );
  if (rows.length === 0) return { grants: [], tokenHashes: [] };
  const grants = rows.map((row) => ({ id: row.id, userId: row.user_id, tenantId: row.tenant_id, clientId: row.client_id, clientName: row.client_name }));
  const tokens = await tx.execute<{ token_hash: string }[]>(
    `select token_hash from oauth_tokens where grant_id in (${grants.map(() => '?').join(', ')}) and kind = 'access' and expires_at > ? and revoked_at is null`,
    [...grants.map((grant) => grant.id), now],
  );
  return { grants, tokenHashes: tokens.map((token) => token.token_hash) };
}

/**
 * A person's grants in a tenant end with their membership (removed or deactivated): in the caller's
 * transaction, whose member event records it. Answers the access tokens' hashes.
 */
export const revokeMemberGrants = async (tx: EntityManager, now: Date, userId: string, tenantId: string) =>
  (await revokeGrantsWhere(tx, now, 'membership_ended', 'g.user_id = ? and g.tenant_id = ?', [userId, tenantId])).tokenHashes;

/** Every instance refuses these revoked access tokens from now on (a tombstone each, and the invalidation message). */
export const forgetRevokedTokens = (cache: Cache, hashes: readonly string[]) => forgetCredentials(cache, hashes, tokenCacheKey, TOMBSTONE_SECONDS);
