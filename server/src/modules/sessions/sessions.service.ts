import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { LRUCache } from 'lru-cache';
import type { Permission, SessionInfo, SessionSummary, TenantContext, UserInfo } from '@mreg/shared';
import type { Cache } from '../../cache/cache';
import type { Settings } from '../../config';
import { AppError } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { SessionMetrics } from '../../metrics/metrics';
import { dropTenantContexts, resolveTenantContext, tenantContextKey } from '../tenants/tenant-context';
import { describeDevice } from './sessions.device';
import { EnhancedSession } from './sessions.entity';
import {
  buryTokens,
  markStale,
  readCached,
  readSeen,
  storeEntry,
  storeSeen,
  type ProfileSummary,
  type Seen,
  type SessionEntry,
} from './sessions.cache';

/** Session and pre-auth tokens: 32 random bytes, base64url (DESIGN.md, security model). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps of a token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Cookie values that cannot be one of our tokens are not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
export const isTokenShaped = (value: unknown): value is string => typeof value === 'string' && TOKEN_SHAPE.test(value);

/** `last_activity` reaches the database at most this often per session; the cache has it to the second. */
export const ACTIVITY_WRITE_INTERVAL_MS = 60_000;
/** The cache's `seen` time is rewritten at most this often per session. */
const SEEN_RESOLUTION_MS = 1000;

/** The lifetime rules (DESIGN.md, security model), in milliseconds. */
export interface SessionLifetime {
  expireMs: number;
  /** A request this close to expiry renews the session; 0 turns renewal off. */
  refreshThresholdMs: number;
  absoluteMs: number;
  idleMs: number;
}

export function sessionLifetime(fastmcp: Settings['fastmcp']): SessionLifetime {
  return {
    expireMs: fastmcp.sessionExpireHours * 3600_000,
    refreshThresholdMs: fastmcp.sessionRefreshThresholdHours * 3600_000,
    absoluteMs: fastmcp.sessionAbsoluteHours * 3600_000,
    idleMs: fastmcp.sessionIdleTimeoutMinutes * 60_000,
  };
}

/** What every session function needs: the request's EntityManager, the cache, the time and the rules. */
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
    lifetime: sessionLifetime(settings.fastmcp),
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
  const expiresAt = new Date(now.getTime() + Math.min(lifetime.expireMs, lifetime.absoluteMs));
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

/** Raw timestamps: MikroORM's connection hands them over as text. */
type Timestamp = string | Date;
const epochMs = (value: Timestamp) => new Date(value).getTime();

interface SessionRow {
  id: string;
  user_id: string;
  tenant_id: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  last_activity: Timestamp;
  email: string;
  name: string;
  roles: string[];
  home_tenant_id: string | null;
  display_name: string | null;
  avatar_url: string | null;
  rotation_due: boolean;
}

/** The session context of a live token, in one query: session, user and profile summary. */
async function loadEntry(em: EntityManager, hash: string): Promise<SessionEntry | undefined> {
  const [row] = await em.execute<SessionRow[]>(
    `select s.id, s.user_id, s.tenant_context ->> 'tenantId' as tenant_id, s.created_at, s.expires_at, s.last_activity,
            s.rotation_due_at is not null as rotation_due,
            u.email, u.name, u.roles, u.home_tenant_id, p.display_name, p.avatar_url
       from enhanced_sessions s
       join users u on u.id = s.user_id
       left join user_profiles p on p.user_id = s.user_id
      where s.session_token = ? and s.revoked_at is null`,
    [hash],
  );
  if (!row) return undefined;
  return {
    sessionId: row.id,
    userId: row.user_id,
    user: { id: row.user_id, email: row.email, name: row.name, roles: row.roles, tenantId: row.home_tenant_id },
    profile: { displayName: row.display_name, avatarUrl: row.avatar_url },
    tenantId: row.tenant_id,
    rotationDue: row.rotation_due,
    createdAt: epochMs(row.created_at),
    expiresAt: epochMs(row.expires_at),
    lastActivity: epochMs(row.last_activity),
  };
}

/** Where a sliding renewal would move the expiry now, or null when none is due. */
function renewedExpiry(createdAt: number, expiresAt: number, now: number, lifetime: SessionLifetime): number | null {
  if (lifetime.refreshThresholdMs === 0 || expiresAt - now > lifetime.refreshThresholdMs) return null;
  const next = Math.min(now + lifetime.expireMs, createdAt + lifetime.absoluteMs);
  return next > expiresAt ? next : null;
}

/**
 * Writes the last activity (and a renewed expiry) of a live session; false when the token is dead
 * (revoked, rotated away, deleted). Activity alone is written only when the database's copy is a
 * minute old, so instances sharing a session write it once a minute between them.
 */
async function recordActivity(em: EntityManager, sessionId: string, hash: string, now: number, renewTo: number | null): Promise<boolean> {
  const live = { id: sessionId, sessionTokenHash: hash, revokedAt: null };
  if (renewTo !== null) {
    return (await em.nativeUpdate(EnhancedSession, live, { lastActivity: new Date(now), expiresAt: new Date(renewTo) })) === 1;
  }
  const cut = new Date(now - ACTIVITY_WRITE_INTERVAL_MS);
  if ((await em.nativeUpdate(EnhancedSession, { ...live, lastActivity: { $lte: cut } }, { lastActivity: new Date(now) })) === 1) return true;
  // Nothing written: another instance wrote within the minute, or the token is dead.
  return (await em.count(EnhancedSession, live)) === 1;
}

/** When the session ends at the latest if nobody uses it: expiry, absolute lifetime or idle timeout. */
function endOf(createdAt: number, expiresAt: number, lastActivity: number, lifetime: SessionLifetime): number {
  return Math.min(expiresAt, createdAt + lifetime.absoluteMs, lastActivity + lifetime.idleMs);
}

/**
 * The session if `entry` (with what `seen` adds) is live at `now`, after a due renewal or activity
 * write; null when it has ended or the database no longer knows the token.
 */
async function accept(deps: SessionDeps, hash: string, entry: SessionEntry, seen: Seen | undefined, now: number): Promise<LiveSession | null> {
  const { em, cache, lifetime } = deps;
  let expiresAt = Math.max(entry.expiresAt, seen?.expiresAt ?? 0);
  const lastActivity = Math.max(entry.lastActivity, seen?.at ?? 0);
  let written = Math.max(entry.lastActivity, seen?.written ?? 0);
  if (now >= endOf(entry.createdAt, expiresAt, lastActivity, lifetime)) return null;

  const renewTo = renewedExpiry(entry.createdAt, expiresAt, now, lifetime);
  if (renewTo !== null || now - written >= ACTIVITY_WRITE_INTERVAL_MS) {
    if (!(await recordActivity(em, entry.sessionId, hash, now, renewTo))) {
      if (cache) await buryTokens(cache, [hash]);
      return null;
    }
    written = now;
    expiresAt = renewTo ?? expiresAt;
  }
  if (cache && (now - (seen?.at ?? 0) >= SEEN_RESOLUTION_MS || written === now)) {
    const record: Seen = { at: now, written, ...(expiresAt > entry.expiresAt ? { expiresAt } : {}) };
    // Not awaited: the answer does not depend on it, and it can never revive a dead token.
    void storeSeen(cache, hash, record, (endOf(entry.createdAt, expiresAt, now, lifetime) - now) / 1000);
  }
  return {
    sessionId: entry.sessionId,
    userId: entry.userId,
    tokenHash: hash,
    user: entry.user,
    profile: entry.profile,
    tenantId: entry.tenantId,
    createdAt: new Date(entry.createdAt),
    expiresAt: new Date(expiresAt),
    absoluteExpiresAt: new Date(entry.createdAt + lifetime.absoluteMs),
    lastActivity: new Date(now),
  };
}

/** Whose each recently seen token is, and its active tenant: facts that never change for a token. */
const tokenOwners = new LRUCache<string, { userId: string; tenantId: string | null }>({ max: 10_000 });

/** A session that passed the lifetime rules, before its tenant context is resolved. */
type LiveSession = Omit<ActiveSession, 'tenantContext' | 'permissions'>;

export interface ResolveOptions {
  /**
   * Hands a rotated token to the browser. Given, a session whose holder's role changed gets its new
   * token on this request; without it (no response to set a cookie on) the rotation waits.
   */
  rotate?: (token: string, session: ActiveSession) => void;
}

/**
 * The live session of a cookie value, or null when it is unknown, revoked, expired, past its
 * absolute lifetime or idle too long. Read from the cache, rebuilt from the database on a miss; every
 * lifetime rule is checked on every call, and a due renewal or activity write is done here. The
 * active tenant's membership is checked on every call too (through its own cache).
 */
export async function resolveSession(deps: SessionDeps, token: unknown, options: ResolveOptions = {}): Promise<ActiveSession | null> {
  if (!isTokenShaped(token)) return null;
  const { em, cache, lifetime } = deps;
  const hash = hashToken(token);
  const now = deps.clock().getTime();

  // A token's user and tenant never change (a switch issues a new token): once this process knows
  // them, the tenant context is read in the session's own round trip.
  const known = tokenOwners.get(hash);
  const alongside = cache && cache === deps.tenantCache && known?.tenantId ? [tenantContextKey(known.tenantId, known.userId)] : [];
  const cached = cache ? await readCached(cache, hash, alongside) : undefined;
  if (cached?.dead) {
    deps.metrics?.sessionCache('hit');
    return null;
  }
  let found: { entry: SessionEntry; live: LiveSession } | null = null;
  if (cached?.entry) {
    const live = await accept(deps, hash, cached.entry, cached.seen, now);
    if (live) found = { entry: cached.entry, live };
    // Else ended by the cache's account, which may lack a lost `seen` record: the database decides.
  }
  // Without a cache (session management off) there is nothing to hit or miss.
  if (cache) deps.metrics?.sessionCache(found ? 'hit' : 'miss');
  if (!found) {
    const entry = await loadEntry(em, hash);
    if (!entry) return null;
    const live = await accept(deps, hash, entry, cached?.seen, now);
    if (!live) return null;
    if (cache && !cached?.entry) {
      const ttl = (endOf(entry.createdAt, live.expiresAt.getTime(), now, lifetime) - now) / 1000;
      await storeEntry(cache, hash, entry, cached?.stale, ttl);
    }
    found = { entry, live };
  }

  const { userId, tenantId } = found.live;
  if (!known) tokenOwners.set(hash, { userId, tenantId });
  const prefetched = alongside.length > 0 && known?.userId === userId && known.tenantId === tenantId ? { value: cached!.extra[0] } : undefined;
  const tenantContext = tenantId ? await resolveTenantContext({ em, cache: deps.tenantCache }, userId, tenantId, prefetched) : null;
  const session: ActiveSession = { ...found.live, tenantContext, permissions: tenantContext?.permissions ?? [] };
  if (found.entry.rotationDue && options.rotate) {
    const rotated = await rotateToken(deps, session);
    // Null: a request of the same browser sent at the same moment rotated it first, and its answer
    // carries the new cookie. This one was live when it arrived, so it is answered; the old token
    // is refused from now on.
    if (rotated !== null) {
      session.tokenHash = hashToken(rotated);
      options.rotate(rotated, session);
    }
  }
  return session;
}

/**
 * How long the browser keeps the session cookie: until the absolute lifetime ends. The server decides
 * expiry on every request, so a renewal never has to send the cookie again (and cannot race a
 * rotation's new cookie with the old one).
 */
export function cookieLifetimeMs(session: { createdAt: Date }, lifetime: SessionLifetime, now: Date): number {
  return session.createdAt.getTime() + lifetime.absoluteMs - now.getTime();
}

/**
 * Gives a session a new token at a privilege change (tenant switch, role change): same session, same
 * history, and the old token refused at once on every instance. Returns the new cookie value. Call
 * it outside a transaction, or after the transaction committed, so the old token is not buried for
 * a change that did not happen.
 */
export async function rotateSessionToken(deps: SessionDeps, session: Pick<ActiveSession, 'sessionId' | 'tokenHash'>): Promise<string> {
  const token = await rotateToken(deps, session);
  if (token === null) throw new AppError('UNAUTHORIZED', 'This session has ended; sign in again');
  return token;
}

/** The new token, or null when this token is no longer the session's (revoked, or rotated already). */
async function rotateToken(deps: SessionDeps, session: Pick<ActiveSession, 'sessionId' | 'tokenHash'>): Promise<string | null> {
  const token = newToken();
  const rotated = await deps.em.nativeUpdate(
    EnhancedSession,
    { id: session.sessionId, sessionTokenHash: session.tokenHash, revokedAt: null },
    { sessionTokenHash: hashToken(token), rotationDueAt: null },
  );
  if (rotated !== 1) return null;
  if (deps.cache) await buryTokens(deps.cache, [session.tokenHash]);
  return token;
}

/**
 * Sessions that may still be in use: not revoked and not expired (expiry in the database is exact,
 * renewals are written at once, and it never passes the absolute lifetime). Idleness is left to
 * the caller: the database's last_activity may lag the cache's by a write interval.
 */
const UNENDED = `revoked_at is null and expires_at > ?`;

/** The sessions of a user (first parameter) whose active tenant is the second parameter. */
const OF_USER_IN_TENANT = `user_id = ? and tenant_context ->> 'tenantId' = ?`;

/** Ends unended sessions matching `where` (with `params`) in the database; returns their ids and token hashes. */
async function endWhere(em: EntityManager, now: Date, where: string, params: unknown[]): Promise<{ id: string; session_token: string }[]> {
  return em.execute<{ id: string; session_token: string }[]>(
    `update enhanced_sessions set revoked_at = ? where ${where} and ${UNENDED} returning id, session_token`,
    [now, ...params, now],
  );
}

/** Ends unended sessions matching `where` (with `params`); returns the ids ended. */
async function revokeWhere(deps: SessionDeps, where: string, params: unknown[]): Promise<string[]> {
  const rows = await endWhere(deps.em, new Date(deps.clock().getTime()), where, params);
  if (deps.cache && rows.length > 0) await buryTokens(deps.cache, rows.map((row) => row.session_token));
  return rows.map((row) => row.id);
}

/**
 * What a membership change did to sessions in the database, for the cache to learn once the
 * change has committed (`publishSessionChanges`).
 */
export interface SessionChanges {
  /** Sessions ended: their tokens are buried. */
  ended: { id: string; tokenHash: string }[];
  /** Sessions whose context changed: rebuilt, and given a new token if rotation is due. */
  changed: string[];
}

/** A membership ended (deactivated, removed): the person's sessions in that tenant end. Database only. */
export async function endTenantSessions(em: EntityManager, now: Date, userId: string, tenantId: string): Promise<SessionChanges> {
  const rows = await endWhere(em, now, OF_USER_IN_TENANT, [userId, tenantId]);
  return { ended: rows.map((row) => ({ id: row.id, tokenHash: row.session_token })), changed: [] };
}

/**
 * A role or its permissions changed: each of the person's sessions in that tenant gets a new token
 * at its next request (DESIGN.md: a new token at every privilege change). Database only.
 */
export async function flagTokenRotation(em: EntityManager, now: Date, userId: string, tenantId: string): Promise<SessionChanges> {
  const rows = await em.execute<{ session_token: string }[]>(
    `update enhanced_sessions set rotation_due_at = ? where ${OF_USER_IN_TENANT} and ${UNENDED} returning session_token`,
    [now, userId, tenantId, now],
  );
  return { ended: [], changed: rows.map((row) => row.session_token) };
}

/** Tells every instance what `endTenantSessions` and `flagTokenRotation` changed. */
export async function publishSessionChanges(cache: Cache | undefined, changes: SessionChanges): Promise<void> {
  if (!cache) return;
  await buryTokens(cache, changes.ended.map((session) => session.tokenHash));
  await markStale(cache, changes.changed);
}

/** Logout: ends the session of this cookie value, if it has not ended. Returns its id. */
export async function revokeSessionByToken(deps: SessionDeps, token: unknown): Promise<string | null> {
  if (!isTokenShaped(token)) return null;
  const [id] = await revokeWhere(deps, 'session_token = ?', [hashToken(token)]);
  return id ?? null;
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
  const ended = await revokeWhere(deps, 'id = ? and user_id = ?', [sessionId, current.userId]);
  if (ended.length === 0) throw new AppError('NOT_FOUND', `You have no active session ${sessionId}`);
  return { sessionId, signedOut: sessionId === current.sessionId };
}

/** Ends every session of the user but `keepSessionId`; returns how many ended. */
export async function revokeOtherSessions(deps: SessionDeps, userId: string, keepSessionId: string): Promise<number> {
  return (await revokeWhere(deps, 'user_id = ? and id <> ?', [userId, keepSessionId])).length;
}

/** Ends every session of the user whose active tenant is `tenantId`; returns the ids ended. */
export async function revokeTenantSessions(deps: SessionDeps, userId: string, tenantId: string): Promise<string[]> {
  return revokeWhere(deps, OF_USER_IN_TENANT, [userId, tenantId]);
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
    [userId, ...except, new Date(deps.clock().getTime())],
  );
  await markStale(deps.cache, rows.map((row) => row.session_token));
}

/** Most sessions a listing returns. */
const SESSION_LIST_LIMIT = 200;

/**
 * The user's live sessions (only those in `tenantId` when given), newest activity first (activity
 * from the cache where it is newer). `isCurrent` marks `current.sessionId`.
 */
export async function listSessions(
  deps: SessionDeps,
  current: Pick<ActiveSession, 'userId' | 'sessionId'>,
  tenantId?: string,
): Promise<SessionSummary[]> {
  const now = deps.clock().getTime();
  const { idleMs } = deps.lifetime;
  const [whose, whoseParams] = tenantId === undefined ? ['user_id = ?', [current.userId]] : [OF_USER_IN_TENANT, [current.userId, tenantId]];
  const rows = await deps.em.execute<
    { id: string; session_token: string; created_at: Timestamp; last_activity: Timestamp; expires_at: Timestamp; user_agent: string | null; ip_address: string | null }[]
  >(
    `select id, session_token, created_at, last_activity, expires_at, user_agent, ip_address
       from enhanced_sessions where ${whose} and ${UNENDED} and last_activity > ?
      order by last_activity desc limit ${SESSION_LIST_LIMIT}`,
    [...whoseParams, new Date(now), new Date(now - idleMs - ACTIVITY_WRITE_INTERVAL_MS)],
  );
  const seen = deps.cache ? await readSeen(deps.cache, rows.map((row) => row.session_token)) : [];
  return rows
    .map((row, i) => {
      const written = epochMs(row.last_activity);
      const lastActivity = Math.max(written, seen[i]?.at ?? 0);
      return { row, lastActivity, expiresAt: Math.max(epochMs(row.expires_at), seen[i]?.expiresAt ?? 0), lagging: lastActivity === written };
    })
    // Where the cache knows the last request, idleness is exact; else the database's lag is allowed.
    .filter(({ lastActivity, lagging }) => now - lastActivity < idleMs + (lagging ? ACTIVITY_WRITE_INTERVAL_MS : 0))
    .map(({ row, lastActivity, expiresAt }) => ({
      sessionId: row.id,
      createdAt: new Date(row.created_at).toISOString(),
      lastActivity: new Date(lastActivity).toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
      userAgent: row.user_agent,
      device: describeDevice(row.user_agent),
      ipAddress: row.ip_address,
      isCurrent: row.id === current.sessionId,
    }))
    .sort((a, b) => b.lastActivity.localeCompare(a.lastActivity));
}
