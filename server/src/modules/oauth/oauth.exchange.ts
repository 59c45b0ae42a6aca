import { createHash, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { InvalidGrantError, InvalidRequestError, InvalidScopeError, InvalidTargetError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthClientInformationFull, OAuthTokenRevocationRequest, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { OAUTH_SCOPE } from '@mreg/shared';
import type { Cache } from '../../cache/cache';
import { hashToken } from '../../lib/tokens';
import { audit } from '../audit/audit.writer';
import { loadTenantContext } from '../tenants/tenant-context';
import { forgetRevokedTokens, isAccessTokenShaped, isRefreshTokenShaped, issueTokens, revokeGrantsWhere } from './oauth.tokens';

/**
 * The token endpoint's two grants and RFC 7009 revocation. A code is single-use: the first exchange
 * marks it, whatever its outcome, so a wrong verifier or another client's attempt uses it up; a
 * code presented again revokes the grant it was issued for (RFC 6749 section 4.1.2). A refresh
 * token rotates on every use; one presented again revokes its whole grant. Nothing is issued for a
 * person who is no longer an active member of the grant's tenant.
 */

export interface ExchangeDeps {
  em: EntityManager;
  cache: Cache;
  now: () => Date;
}

/** RFC 7636: 43 to 128 characters of [A-Za-z0-9-._~]. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

function verifierMatches(verifier: string, challenge: string): boolean {
  if (!VERIFIER.test(verifier)) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/**
 * Runs `work` in a transaction whose refusal still commits what it did (a grant revoked on reuse),
 * then throws: the OAuth error is answered only once the revocation is durable, and its tokens
 * forgotten on every instance.
 */
async function committedThenThrow<T>(deps: ExchangeDeps, work: (tx: EntityManager, revoked: string[]) => Promise<T | Error>): Promise<T> {
  const revoked: string[] = [];
  const outcome = await deps.em.fork().transactional((tx) => work(tx, revoked));
  await forgetRevokedTokens(deps.cache, revoked);
  if (outcome instanceof Error) throw outcome;
  return outcome;
}

/** The grant's tenant must still have the person as an active member. */
async function stillMember(tx: EntityManager, userId: string, tenantId: string): Promise<boolean> {
  return (await loadTenantContext(tx, userId, tenantId)) !== null;
}

export async function exchangeCode(
  deps: ExchangeDeps,
  client: OAuthClientInformationFull,
  code: string,
  verifier: string | undefined,
  redirectUri: string | undefined,
  resource: URL | undefined,
): Promise<OAuthTokens> {
  // A malformed request leaves the code as it was: only an attempt at it uses it up.
  if (verifier === undefined) throw new InvalidRequestError('code_verifier is required');
  // Required (RFC 6749 section 4.1.3): the handler cannot tell whether /authorize was sent one, so it always is.
  if (redirectUri === undefined) throw new InvalidRequestError('redirect_uri is required: the one the code was issued for');
  return committedThenThrow<OAuthTokens>(deps, async (tx, revoked) => {
    const now = deps.now();
    const [row] = await tx.execute<
      { grant_id: string; client_id: string; redirect_uri: string; code_challenge: string; resource: string; expires_at: Date; used_at: Date | null; user_id: string; tenant_id: string; grant_revoked_at: Date | null; scope: string }[]
    >(
      `select c.grant_id, c.client_id, c.redirect_uri, c.code_challenge, c.resource, c.expires_at, c.used_at, g.user_id, g.tenant_id, g.revoked_at as grant_revoked_at, g.scope
         from oauth_codes c join oauth_grants g on g.id = c.grant_id
        where c.code_hash = ? for update of c, g`,
      [hashToken(code)],
    );
    if (!row) return new InvalidGrantError('The authorization code is unknown');
    if (row.used_at !== null) {
      // Committed with the revocation (committedThenThrow); a grant revoked already changes nothing, and records nothing.
      // Another client holding the code is worth telling from the grant's own client replaying it.
      revoked.push(...(await revokeReused(tx, now, row.grant_id, 'oauth.grant_revoked', 'code_reused', client.client_id)));
      return new InvalidGrantError('The authorization code was used already; the tokens issued for it are revoked');
    }
    await tx.execute(`update oauth_codes set used_at = ? where code_hash = ?`, [now, hashToken(code)]);
    if (new Date(row.expires_at).getTime() <= now.getTime()) return new InvalidGrantError('The authorization code has expired; authorize again');
    if (row.client_id !== client.client_id) return new InvalidGrantError('The authorization code was issued to another client');
    if (redirectUri !== row.redirect_uri) return new InvalidGrantError('redirect_uri is not the one the code was issued for');
    if (resource !== undefined && resource.href !== row.resource) return new InvalidTargetError(`resource is not the one the code was issued for (${row.resource})`);
    if (!verifierMatches(verifier, row.code_challenge)) return new InvalidGrantError('code_verifier does not match the code challenge');
    if (row.grant_revoked_at !== null) return new InvalidGrantError('The grant has been revoked');
    if (!(await stillMember(tx, row.user_id, row.tenant_id))) return new InvalidGrantError('The person is no longer an active member of the tenant they approved for');
    return issueTokens(tx, row.grant_id, row.scope, now);
  });
}

/**
 * A code or refresh token presented again: its grant is revoked, with an event of it in the same
 * transaction (none for a grant revoked already). Answers the revoked tokens' hashes.
 */
async function revokeReused(
  tx: EntityManager,
  now: Date,
  grantId: string,
  action: 'oauth.grant_revoked' | 'oauth.refresh_reuse',
  reason: 'code_reused' | 'refresh_token_reused',
  presentedBy: string,
): Promise<string[]> {
  const { grants, tokenHashes } = await revokeGrantsWhere(tx, now, reason === 'code_reused' ? 'code_reused' : 'refresh_reused', 'g.id = ?', [grantId]);
  for (const grant of grants) {
    await audit(tx, {
      action,
      tenantId: grant.tenantId,
      actor: { kind: 'oauth_client', userId: grant.userId, clientId: grant.clientId },
      target: { kind: 'grant', id: grant.id, label: grant.clientName },
      outcome: 'refused',
      reason,
      details: presentedBy === grant.clientId ? {} : { presentedBy },
    });
  }
  return tokenHashes;
}

export async function exchangeRefresh(deps: ExchangeDeps, client: OAuthClientInformationFull, token: string, scopes: string[] | undefined, resource: URL | undefined): Promise<OAuthTokens> {
  if (!isRefreshTokenShaped(token)) throw new InvalidGrantError('This is not an MREG refresh token');
  return committedThenThrow<OAuthTokens>(deps, async (tx, revoked) => {
    const now = deps.now();
    const [row] = await tx.execute<
      { id: string; grant_id: string; expires_at: Date; used_at: Date | null; revoked_at: Date | null; client_id: string; user_id: string; tenant_id: string; resource: string; scope: string; grant_revoked_at: Date | null }[]
    >(
      `select t.id, t.grant_id, t.expires_at, t.used_at, t.revoked_at, g.client_id, g.user_id, g.tenant_id, g.resource, g.scope, g.revoked_at as grant_revoked_at
         from oauth_tokens t join oauth_grants g on g.id = t.grant_id
        where t.token_hash = ? and t.kind = 'refresh' for update of t, g`,
      [hashToken(token)],
    );
    if (!row) return new InvalidGrantError('The refresh token is unknown');
    if (row.client_id !== client.client_id) return new InvalidGrantError('The refresh token was issued to another client');
    if (row.grant_revoked_at !== null || row.revoked_at !== null) return new InvalidGrantError('The grant has been revoked; authorize again');
    if (row.used_at !== null) {
      // Committed with the revocation (committedThenThrow): a stolen token's replay, or the client's own.
      revoked.push(...(await revokeReused(tx, now, row.grant_id, 'oauth.refresh_reuse', 'refresh_token_reused', client.client_id)));
      return new InvalidGrantError('The refresh token was used already: the grant is revoked; authorize again');
    }
    if (new Date(row.expires_at).getTime() <= now.getTime()) return new InvalidGrantError('The refresh token has expired; authorize again');
    if (resource !== undefined && resource.href !== row.resource) return new InvalidTargetError(`resource is not the one the grant is for (${row.resource})`);
    if (scopes !== undefined && scopes.some((scope) => scope !== OAUTH_SCOPE && scope !== '')) return new InvalidScopeError(`Only the scope ${OAUTH_SCOPE} was granted`);
    if (!(await stillMember(tx, row.user_id, row.tenant_id))) return new InvalidGrantError('The person is no longer an active member of the tenant they approved for');
    await tx.execute(`update oauth_tokens set used_at = ? where id = ?`, [now, row.id]);
    return issueTokens(tx, row.grant_id, row.scope, now);
  });
}

/**
 * RFC 7009: an access token ends alone; a refresh token ends its whole grant (section 2.1). A token
 * that is unknown, malformed or another client's changes nothing and is answered alike (200).
 */
export async function revokeToken(deps: ExchangeDeps, client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
  const { token } = request;
  if (!isAccessTokenShaped(token) && !isRefreshTokenShaped(token)) return;
  await committedThenThrow<undefined>(deps, async (tx, revoked) => {
    const now = deps.now();
    const [row] = await tx.execute<{ id: string; kind: 'access' | 'refresh'; grant_id: string }[]>(
      `select t.id, t.kind, t.grant_id from oauth_tokens t join oauth_grants g on g.id = t.grant_id where t.token_hash = ? and g.client_id = ?`,
      [hashToken(token), client.client_id],
    );
    if (!row) return undefined;
    if (row.kind === 'refresh') {
      const { grants, tokenHashes } = await revokeGrantsWhere(tx, now, 'client_revoked', 'g.id = ?', [row.grant_id]);
      revoked.push(...tokenHashes);
      // Only the revocation that ended the grant is recorded; one of a grant already revoked changed nothing.
      for (const grant of grants) {
        await audit(tx, {
          action: 'oauth.grant_revoked',
          tenantId: grant.tenantId,
          actor: { kind: 'oauth_client', userId: grant.userId, clientId: grant.clientId },
          target: { kind: 'grant', id: grant.id, label: grant.clientName },
        });
      }
      return undefined;
    }
    await tx.execute(`update oauth_tokens set revoked_at = ? where id = ? and revoked_at is null`, [now, row.id]);
    revoked.push(hashToken(token));
    return undefined;
  });
}
