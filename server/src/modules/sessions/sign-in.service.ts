import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { SignInFailure } from '../../identity/errors';
import type { IdentityClaims } from '../../identity/sign-in-client';
import { hashToken, isTokenShaped, newToken } from '../../lib/tokens';
import { audit, type AuditActor } from '../audit/audit.writer';
import { recordSignIn } from '../users/users.service';
import { SignInRequest, type ISignInRequest } from './sessions.entity';
import { createSession, endSessionOfToken, publishSessionChanges, refreshUserSessions, type NewSession, type SessionDeps } from './sessions.store';

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

/** Deletes up to `limit` expired sign-in requests no other transaction has locked (the clean-up's batch); returns how many. */
export async function deleteExpiredSignInRequests(tx: EntityManager, now: Date, limit: number): Promise<number> {
  const deleted = await tx.execute<{ id: string }[]>(
    `delete from sign_in_requests where id in (select id from sign_in_requests where expires_at <= ? limit ? for update skip locked) returning id`,
    [now, limit],
  );
  return deleted.length;
}

/**
 * Takes the sign-in request bound to this cookie out of the database, so that whatever happens
 * next it cannot be used twice; `request` is null when there is none or it expired. A callback that
 * arrives without its cookie still ends the sign-in its state names: no record is left behind
 * either way. `ended` says whether this call ended any sign-in request (live or expired, the
 * cookie's or the state's): whether the callback was part of a sign-in someone started.
 */
export async function consumeSignInRequest(
  em: EntityManager,
  cookie: unknown,
  state: string | undefined,
  now = new Date(),
): Promise<{ request: ISignInRequest | null; ended: boolean }> {
  let request = null;
  if (isTokenShaped(cookie)) {
    const found = await em.findOne(SignInRequest, { cookieHash: hashToken(cookie) });
    // Only the caller that deletes the row may use it.
    if (found && (await em.nativeDelete(SignInRequest, { id: found.id })) === 1) request = found;
  }
  const endedByState = state ? (await em.nativeDelete(SignInRequest, { state })) > 0 : false;
  return { request: request && request.expiresAt > now ? request : null, ended: request !== null || endedByState };
}

export interface CompleteSignInOptions {
  claims: IdentityClaims;
  /** The provider's access token: only its SHA-256 is kept. */
  accessToken: string;
  /** The session cookie the browser sent, if any: never adopted (fixation); its session ends. */
  previousToken: unknown;
  userAgent: string | undefined;
  ipAddress: string | undefined;
  /** Where what could not be done after the commit is reported. */
  logger: Pick<Logger, 'warn'>;
}

/**
 * In one transaction: the tenant, user and membership from the token, then a new session. Once that
 * has committed the sign-in has happened, and is recorded as such: what follows only tells caches,
 * and its failure is logged, never thrown (see below).
 */
export async function completeSignIn(deps: SessionDeps, options: CompleteSignInOptions): Promise<NewSession> {
  const now = deps.clock();
  const { created, ended } = await deps.em.transactional(async (tx) => {
    const { userId, tenantId } = await recordSignIn(tx, options.claims, now);
    const ended = await endSessionOfToken(tx, now, options.previousToken);
    const created = createSession(tx, {
      userId,
      tenantId,
      accessToken: options.accessToken,
      userAgent: options.userAgent,
      ipAddress: options.ipAddress,
      lifetime: deps.lifetime,
      now,
    });
    await audit(tx, { action: 'auth.sign_in', tenantId, actor: { kind: 'user', userId }, target: { kind: 'session', id: created.sessionId } });
    return { created, ended };
  });
  // Thrown, a failure here would make a committed sign-in look failed: the browser would keep the
  // cookie of the session that just ended and get no new one, and the log would hold both a success
  // and an error. Failing the request would not undo it either: what the caches were not told stays
  // untold until their entries expire (15 minutes at most), and a miss reads the database, where the
  // ended session is revoked. So the sign-in stands, and the failure is logged.
  const settled = await Promise.allSettled([
    publishSessionChanges(deps.cache, ended),
    // The token's name, email and roles may have changed: the person's other sessions show them next.
    refreshUserSessions(deps, created.userId, created.sessionId),
  ]);
  for (const result of settled) {
    if (result.status === 'rejected') {
      options.logger.warn({ err: result.reason, userId: created.userId, sessionId: created.sessionId }, 'Signed in, but the session cache could not be told all of it');
    }
  }
  return created;
}

/**
 * Records a sign-in that did not happen (auth.sign_in, not a success), on its own: there is no
 * change for it to share a transaction with. Who it was is known only from a verified id_token
 * (`claimed`): its tenant, and the person if MREG knows them, else the email they claimed; before
 * one, nobody and no tenant. `outcome` is 'error' when MREG itself failed. Never the code or a token.
 */
export async function recordSignInFailure(
  em: EntityManager,
  failure: { reason: SignInFailure | 'internal_error'; claimed?: Pick<IdentityClaims, 'oid' | 'tid' | 'email'> },
): Promise<void> {
  const { claimed } = failure;
  let actor: AuditActor = { kind: 'anonymous', label: claimed?.email || undefined };
  if (claimed) {
    const [known] = await em.execute<{ id: string }[]>(`select id from users where external_id = ?`, [claimed.oid]);
    if (known) actor = { kind: 'user', userId: known.id };
  }
  await audit(em, {
    action: 'auth.sign_in',
    tenantId: claimed?.tid ?? null,
    actor,
    outcome: failure.reason === 'internal_error' ? 'error' : 'failure',
    reason: failure.reason,
  });
}
