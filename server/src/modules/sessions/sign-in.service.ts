import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityClaims } from '../../identity/sign-in-client';
import { recordSignIn } from '../users/users.service';
import { buryTokens } from './sessions.cache';
import { EnhancedSession, SignInRequest } from './sessions.entity';
import { createSession, hashToken, isTokenShaped, newToken, refreshUserSessions, type NewSession, type SessionDeps } from './sessions.service';

/** How long a person has to finish signing in at the provider. */
export const SIGN_IN_REQUEST_TTL_MS = 10 * 60_000;

/**
 * Records a sign-in in progress and returns the pre-auth cookie value that binds it to this
 * browser (only its SHA-256 is stored). Abandoned sign-ins are removed by the next one.
 */
export async function createSignInRequest(
  em: EntityManager,
  request: { state: string; nonce: string; codeVerifier: string; returnTo: string; now?: Date },
): Promise<string> {
  const now = request.now ?? new Date();
  const cookie = newToken();
  await em.nativeDelete(SignInRequest, { expiresAt: { $lte: now } });
  em.create(SignInRequest, {
    cookieHash: hashToken(cookie),
    state: request.state,
    nonce: request.nonce,
    codeVerifier: request.codeVerifier,
    returnTo: request.returnTo,
    createdAt: now,
    expiresAt: new Date(now.getTime() + SIGN_IN_REQUEST_TTL_MS),
  });
  await em.flush();
  return cookie;
}

/**
 * Takes the sign-in request bound to this cookie out of the database, so that whatever happens
 * next it cannot be used twice; null when there is none or it expired. A callback that arrives
 * without its cookie still ends the sign-in its state names: no record is left behind either way.
 */
export async function consumeSignInRequest(em: EntityManager, cookie: unknown, state: string | undefined, now = new Date()) {
  let request = null;
  if (isTokenShaped(cookie)) {
    const found = await em.findOne(SignInRequest, { cookieHash: hashToken(cookie) });
    // Only the caller that deletes the row may use it.
    if (found && (await em.nativeDelete(SignInRequest, { id: found.id })) === 1) request = found;
  }
  if (state) await em.nativeDelete(SignInRequest, { state });
  return request && request.expiresAt > now ? request : null;
}

export interface CompleteSignInOptions {
  claims: IdentityClaims;
  /** The provider's access token: only its SHA-256 is kept. */
  accessToken: string;
  /** The session cookie the browser sent, if any: never adopted (fixation); its session ends. */
  previousToken: unknown;
  userAgent: string | undefined;
  ipAddress: string | undefined;
}

/** In one transaction: the tenant, user and membership from the token, then a new session. */
export async function completeSignIn(deps: SessionDeps, options: CompleteSignInOptions): Promise<NewSession> {
  const now = deps.clock();
  const previousHash = isTokenShaped(options.previousToken) ? hashToken(options.previousToken) : null;
  const created = await deps.em.transactional(async (tx) => {
    const { userId, tenantId } = await recordSignIn(tx, options.claims, now);
    if (previousHash) await tx.nativeUpdate(EnhancedSession, { sessionTokenHash: previousHash, revokedAt: null }, { revokedAt: now });
    return createSession(tx, {
      userId,
      tenantId,
      accessToken: options.accessToken,
      userAgent: options.userAgent,
      ipAddress: options.ipAddress,
      lifetime: deps.lifetime,
      now,
    });
  });
  if (previousHash && deps.cache) await buryTokens(deps.cache, [previousHash]);
  // The token's name, email and roles may have changed: the person's other sessions show them next.
  await refreshUserSessions(deps, created.userId, created.sessionId);
  return created;
}
