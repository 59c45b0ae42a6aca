import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Permission, SessionInfo, SessionSummary, TenantContext, UserInfo } from '@mreg/shared';
import type { Cache } from '../../cache/cache';
import type { Settings } from '../../config';
import { AppError } from '../../errors';
import type { Clock } from '../../lib/clock';
import { hashToken, isTokenShaped, newToken } from '../../lib/tokens';
import { audit, type AuditRecord } from '../audit/audit.writer';
import { dropTenantContexts } from '../tenants/tenant-context';
import { buryTokens, markStale, readSeen, type ProfileSummary } from './sessions.cache';
import { describeDevice } from './sessions.device';
import { EnhancedSession } from './sessions.entity';
import { ACTIVITY_WRITE_INTERVAL_MS, idleAt, initialExpiry, recordCutoffs, type SessionLifetime } from './sessions.lifetime';

// The session store: the only code that writes `enhanced_sessions` and the session cache keys
// (sessions.cache.ts). Lucia's shape: create, validate (sessions.validate.ts), rotate, revoke,
// revoke all; the lifetime rules are pure functions (sessions.lifetime.ts). A change made inside a
// caller's transaction answers SessionChanges, which `publishSessionChanges` tells the cache once
// the transaction has committed, so that no instance learns of a change that did not happen.

/** What the store records about lookups: the narrow part of the app's metrics it needs. */
export interface SessionMetrics {
  sessionCache(result: 'hit' | 'miss'): void;
}

/** What every store function needs: the request's EntityManager, the cache, the time and the rules. */
export interface SessionDeps {
  em: EntityManager;
  /** Undefined when enhanced session management is off: the database alone answers. */
  cache: Cache | undefined;
  /** Where tenant contexts are cached; undefined when MREG_FASTMCP_TENANT_CONTEXT_CACHING is off. */
  tenantCache: Cache | undefined;
  clock: Clock;
  lifetime: SessionLifetime;
  /** Counts session cache hits and misses; absent where nobody reads them (scripts, unit tests). */
  metrics?: SessionMetrics;
}

export function sessionDeps({
  em,
  cache,
  clock,
  settings,
  metrics,
}: {
  em: EntityManager;
  cache: Cache;
  clock: Clock;
  settings: Settings;
  metrics?: SessionMetrics;
}): SessionDeps {
  const features = settings.features.offered;
  return {
    em,
    cache: features.sessionManagement ? cache : undefined,
    tenantCache: features.tenantContextCaching ? cache : undefined,
    clock,
    lifetime: settings.sessionLifetime,
    metrics,
  };
}

/** The session behind a request, as the tRPC context and the HTTP routes see it. */
export interface ActiveSession {
  sessionId: string;
  userId: string;
  /** SHA-256 of the token that found it: what rotation and revocation of this token act on. */
  tokenHash: string;
  user: UserInfo;
  profile: ProfileSummary;
  /** The active tenant. */
  tenantId: string | null;
  /** Null when the person has no active membership of the active tenant. */
  tenantContext: TenantContext | null;
  permissions: Permission[];
  createdAt: Date;
  expiresAt: Date;
  absoluteExpiresAt: Date;
  lastActivity: Date;
}

export function sessionInfo(session: ActiveSession, lifetime: SessionLifetime): SessionInfo {
  return {
    sessionId: session.sessionId,
    createdAt: session.createdAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    absoluteExpiresAt: session.absoluteExpiresAt.toISOString(),
    lastActivity: session.lastActivity.toISOString(),
    idleTimeoutMinutes: Math.round(lifetime.idleMs / 60_000),
  };
}

export interface NewSession {
  /** The cookie value: returned once, never stored. */
  token: string;
  sessionId: string;
  userId: string;
  tenantId: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface CreateSessionOptions {
  userId: string;
  tenantId: string;
  /** The provider's access token: only its SHA-256 is stored. */
  accessToken: string;
  userAgent: string | undefined;
  ipAddress: string | undefined;
  lifetime: SessionLifetime;
  now: Date;
}

/** A new session with a new random token (flushed by the caller's transaction). */
export function createSession(em: EntityManager, options: CreateSessionOptions): NewSession {
  const { now, lifetime } = options;
  const token = newToken();
  const expiresAt = new Date(initialExpiry(now.getTime(), lifetime));
  const session = em.create(EnhancedSession, {
    // Known now, not at flush: the caller reports it.
    id: randomUUID(),
    user: options.userId,
    sessionTokenHash: hashToken(token),
    oauthTokenHash: hashToken(options.accessToken),
    userAgent: options.userAgent?.slice(0, 500) ?? null,
    ipAddress: options.ipAddress?.slice(0, 45) ?? null,
    tenantContext: { tenantId: options.tenantId },
    lastActivity: now,
    expiresAt,
    createdAt: now,
  });
  return { token, sessionId: session.id, userId: options.userId, tenantId: options.tenantId, createdAt: now, expiresAt };
}

/** What a change made in a transaction did to sessions, for the cache to learn once it has committed. */
export interface SessionChanges {
  /** Sessions ended. */
  endedIds: string[];
  /** Token hashes now dead (ended sessions, rotated tokens): buried. */
  dead: string[];
  /** Token hashes whose context changed: rebuilt, and given a new token if rotation is due. */
  stale: string[];
}

const NO_CHANGES: SessionChanges = { endedIds: [], dead: [], stale: [] };

/** Tells every instance what a committed change did to sessions. */
export async function publishSessionChanges(cache: Cache | undefined, changes: SessionChanges): Promise<void> {
  if (!cache) return;
  await buryTokens(cache, changes.dead);
  await markStale(cache, changes.stale);
}

/**
 * Gives the session a new token (and, with `tenantId`, a new active tenant), in the caller's
 * transaction: same session, same history. Null when this token is no longer the session's
 * (revoked, or rotated already). Publish the changes after the commit.
 */
export async function replaceToken(
  em: EntityManager,
  session: Pick<ActiveSession, 'sessionId' | 'tokenHash'>,
  tenantId?: string,
): Promise<{ token: string; changes: SessionChanges } | null> {
  const token = newToken();
  const rotated = await em.nativeUpdate(
    EnhancedSession,
    { id: session.sessionId, sessionTokenHash: session.tokenHash, revokedAt: null },
    { sessionTokenHash: hashToken(token), rotationDueAt: null, ...(tenantId === undefined ? {} : { tenantContext: { tenantId } }) },
  );
  return rotated === 1 ? { token, changes: { ...NO_CHANGES, dead: [session.tokenHash] } } : null;
}

/**
 * Gives a session a new token at a privilege change (DESIGN.md: a new token at every privilege
 * change), the old one refused at once on every instance: replaceToken on its own, published at
 * once. Null when this token is no longer the session's.
 */
export async function rotateToken(deps: SessionDeps, session: Pick<ActiveSession, 'sessionId' | 'tokenHash'>): Promise<string | null> {
  const replaced = await replaceToken(deps.em, session);
  if (!replaced) return null;
  await publishSessionChanges(deps.cache, replaced.changes);
  return replaced.token;
}

/** Sessions that are not revoked and not expired; idleness is the caller's (recordCutoffs). */
const UNENDED = `revoked_at is null and expires_at > ?`;

/** The sessions of a user (first parameter) whose active tenant is the second parameter. */
const OF_USER_IN_TENANT = `user_id = ? and tenant_context ->> 'tenantId' = ?`;

/** A session just ended: whose it was and its active tenant, for its audit event. */
interface EndedSession {
  id: string;
  userId: string;
  tenantId: string | null;
  /** Its token's hash. */
  token: string;
}

/** Ends unended sessions matching `where` (with `params`), in `em`'s transaction if any. */
async function endSessions(em: EntityManager, now: Date, where: string, params: unknown[]): Promise<EndedSession[]> {
  const rows = await em.execute<{ id: string; user_id: string; tenant_id: string | null; session_token: string }[]>(
    `update enhanced_sessions set revoked_at = ? where ${where} and ${UNENDED}
     returning id, user_id, tenant_context ->> 'tenantId' as tenant_id, session_token`,
    [now, ...params, now],
  );
  return rows.map((row) => ({ id: row.id, userId: row.user_id, tenantId: row.tenant_id, token: row.session_token }));
}

const changesOf = (ended: readonly EndedSession[]): SessionChanges => ({ ...NO_CHANGES, endedIds: ended.map((s) => s.id), dead: ended.map((s) => s.token) });

/** Ends unended sessions matching `where`, in `em`'s transaction if any. */
async function endWhere(em: EntityManager, now: Date, where: string, params: unknown[]): Promise<SessionChanges> {
  return changesOf(await endSessions(em, now, where, params));
}

/**
 * Ends unended sessions matching `where` at once, each with its audit event (`eventOf`) in the same
 * transaction: a session that ends is recorded, one that did not (already ended, someone else's) is
 * not. Returns the sessions ended.
 */
async function revokeWhere(deps: SessionDeps, where: string, params: unknown[], eventOf: (session: EndedSession) => AuditRecord): Promise<EndedSession[]> {
  const ended = await deps.em.transactional(async (tx) => {
    const sessions = await endSessions(tx, deps.clock(), where, params);
    for (const session of sessions) await audit(tx, eventOf(session));
    return sessions;
  });
  await publishSessionChanges(deps.cache, changesOf(ended));
  return ended;
}

/** Someone ended `session`: the event of it, for revokeWhere. */
const sessionRevoked =
  (actorId: string) =>
  (session: EndedSession): AuditRecord => ({
    action: 'session.revoked',
    tenantId: session.tenantId,
    actor: { kind: 'user', userId: actorId },
    target: { kind: 'session', id: session.id },
    details: { userId: session.userId },
  });

/**
 * Ends the session of this cookie value, in the caller's transaction: a sign-in ending the one it
 * replaces (never adopted: fixation). Its token is dead whatever the database held of it.
 */
export async function endSessionOfToken(em: EntityManager, now: Date, token: unknown): Promise<SessionChanges> {
  if (!isTokenShaped(token)) return NO_CHANGES;
  const hash = hashToken(token);
  const rows = await em.execute<{ id: string }[]>(
    `update enhanced_sessions set revoked_at = ? where session_token = ? and revoked_at is null returning id`,
    [now, hash],
  );
  return { ...NO_CHANGES, endedIds: rows.map((row) => row.id), dead: [hash] };
}

/** A membership ended (deactivated, removed): the person's sessions in that tenant end, in the caller's transaction. */
export async function endTenantSessions(em: EntityManager, now: Date, userId: string, tenantId: string): Promise<SessionChanges> {
  return endWhere(em, now, OF_USER_IN_TENANT, [userId, tenantId]);
}

/**
 * A role or its permissions changed: each of the person's sessions in that tenant gets a new token
 * at its next request (DESIGN.md: a new token at every privilege change), in the caller's transaction.
 */
export async function flagTokenRotation(em: EntityManager, now: Date, userId: string, tenantId: string): Promise<SessionChanges> {
  const rows = await em.execute<{ session_token: string }[]>(
    `update enhanced_sessions set rotation_due_at = ? where ${OF_USER_IN_TENANT} and ${UNENDED} returning session_token`,
    [now, userId, tenantId, now],
  );
  return { ...NO_CHANGES, stale: rows.map((row) => row.session_token) };
}

/** Logout: ends the session of this cookie value, if it has not ended (auth.sign_out). Returns its id. */
export async function revokeSessionByToken(deps: SessionDeps, token: unknown): Promise<string | null> {
  if (!isTokenShaped(token)) return null;
  const [ended] = await revokeWhere(deps, 'session_token = ?', [hashToken(token)], (session) => ({
    action: 'auth.sign_out',
    tenantId: session.tenantId,
    actor: { kind: 'user', userId: session.userId },
    target: { kind: 'session', id: session.id },
  }));
  return ended?.id ?? null;
}

/**
 * Ends one of the user's own sessions; another user's id, or an ended session, is NOT_FOUND.
 * `signedOut` says it was the session asking.
 */
export async function revokeOwnSession(
  deps: SessionDeps,
  current: Pick<ActiveSession, 'userId' | 'sessionId'>,
  sessionId: string,
): Promise<{ sessionId: string; signedOut: boolean }> {
  const ended = await revokeWhere(deps, 'id = ? and user_id = ?', [sessionId, current.userId], sessionRevoked(current.userId));
  if (ended.length === 0) throw new AppError('NOT_FOUND', `You have no active session ${sessionId}`);
  return { sessionId, signedOut: sessionId === current.sessionId };
}

/** Ends every session of the user but `keepSessionId`; returns how many ended. */
export async function revokeOtherSessions(deps: SessionDeps, userId: string, keepSessionId: string): Promise<number> {
  return (await revokeWhere(deps, 'user_id = ? and id <> ?', [userId, keepSessionId], sessionRevoked(userId))).length;
}

/** `actorId` (a tenant admin) ends every session of the user whose active tenant is `tenantId`; returns the ids ended. */
export async function revokeTenantSessions(deps: SessionDeps, actorId: string, userId: string, tenantId: string): Promise<string[]> {
  return (await revokeWhere(deps, OF_USER_IN_TENANT, [userId, tenantId], sessionRevoked(actorId))).map((session) => session.id);
}

/**
 * The user's data that sessions carry changed (name, roles, profile, memberships): each of their
 * sessions rebuilds its context, and their standing in each tenant, from the database at its next
 * request, on every instance.
 */
export async function refreshUserSessions(deps: SessionDeps, userId: string, exceptSessionId?: string): Promise<void> {
  if (deps.tenantCache) {
    const tenants = await deps.em.execute<{ tenant_id: string }[]>(`select tenant_id from user_tenant_memberships where user_id = ?`, [userId]);
    await Promise.all(tenants.map((row) => dropTenantContexts(deps.tenantCache, row.tenant_id, [userId])));
  }
  if (!deps.cache) return;
  const except = exceptSessionId === undefined ? [] : [exceptSessionId];
  const rows = await deps.em.execute<{ session_token: string }[]>(
    `select session_token from enhanced_sessions where user_id = ?${except.length ? ' and id <> ?' : ''} and ${UNENDED}`,
    [userId, ...except, deps.clock()],
  );
  await markStale(deps.cache, rows.map((row) => row.session_token));
}

/** Raw timestamps: MikroORM's connection hands them over as text. */
export type Timestamp = string | Date;
export const epochMs = (value: Timestamp) => new Date(value).getTime();

/** The live-session rule in SQL, on the database's record (recordCutoffs), for `now`. */
function liveRecord(now: number, lifetime: SessionLifetime): [string, Date[]] {
  const { expiresAfter, activeAfter } = recordCutoffs(now, lifetime);
  return [`${UNENDED} and last_activity > ?`, [expiresAfter, activeAfter]];
}

/** Most sessions a listing returns. */
const SESSION_LIST_LIMIT = 200;

/**
 * The user's live sessions (only those in `tenantId` when given), newest activity first (activity
 * from the cache where it is newer). `isCurrent` marks `current.sessionId`.
 */
export async function listSessions(
  deps: SessionDeps,
  current: { userId: string; sessionId: string | null },
  tenantId?: string,
): Promise<SessionSummary[]> {
  const now = deps.clock().getTime();
  const [whose, whoseParams] = tenantId === undefined ? ['user_id = ?', [current.userId]] : [OF_USER_IN_TENANT, [current.userId, tenantId]];
  const [live, liveParams] = liveRecord(now, deps.lifetime);
  const rows = await deps.em.execute<
    { id: string; session_token: string; created_at: Timestamp; last_activity: Timestamp; expires_at: Timestamp; user_agent: string | null; ip_address: string | null }[]
  >(
    `select id, session_token, created_at, last_activity, expires_at, user_agent, ip_address
       from enhanced_sessions where ${whose} and ${live}
      order by last_activity desc limit ${SESSION_LIST_LIMIT}`,
    [...whoseParams, ...liveParams],
  );
  const seen = deps.cache ? await readSeen(deps.cache, rows.map((row) => row.session_token)) : [];
  return rows
    .map((row, i) => {
      const written = epochMs(row.last_activity);
      const times = {
        createdAt: epochMs(row.created_at),
        lastActivity: Math.max(written, seen[i]?.at ?? 0),
        expiresAt: Math.max(epochMs(row.expires_at), seen[i]?.expiresAt ?? 0),
      };
      return { row, times, lagging: times.lastActivity === written };
    })
    // Where the cache knows the last request, idleness is exact; else the database's lag is allowed.
    .filter(({ times, lagging }) => !idleAt(times, now, deps.lifetime, lagging ? ACTIVITY_WRITE_INTERVAL_MS : 0))
    .map(({ row, times }) => ({
      sessionId: row.id,
      createdAt: new Date(times.createdAt).toISOString(),
      lastActivity: new Date(times.lastActivity).toISOString(),
      expiresAt: new Date(times.expiresAt).toISOString(),
      userAgent: row.user_agent,
      device: describeDevice(row.user_agent),
      ipAddress: row.ip_address,
      isCurrent: row.id === current.sessionId,
    }))
    .sort((a, b) => b.lastActivity.localeCompare(a.lastActivity));
}

/** Live sessions in all, by the database's record (for the metrics). */
export async function countLiveSessions(em: EntityManager, now: Date, lifetime: SessionLifetime): Promise<number> {
  const [live, params] = liveRecord(now.getTime(), lifetime);
  const rows = await em.execute<{ count: number }[]>(`select count(*)::int as count from enhanced_sessions where ${live}`, params);
  return Number(rows[0]?.count ?? 0);
}

/** Deletes up to `limit` ended sessions no other transaction has locked, in the caller's transaction; returns how many. */
export async function deleteEndedSessions(tx: EntityManager, now: Date, lifetime: SessionLifetime, limit: number): Promise<number> {
  const [live, params] = liveRecord(now.getTime(), lifetime);
  const deleted = await tx.execute<{ id: string }[]>(
    `delete from enhanced_sessions where id in (select id from enhanced_sessions where not (${live}) limit ? for update skip locked) returning id`,
    [...params, limit],
  );
  return deleted.length;
}
