import type { EntityManager } from '@mikro-orm/postgresql';
import { LRUCache } from 'lru-cache';
import { hashToken, isTokenShaped } from '../../lib/tokens';
import { resolveTenantContext, tenantContextKey } from '../tenants/tenant-context';
import { readCached, storeEntry, storeSeen, buryTokens, type Seen, type SessionEntry } from './sessions.cache';
import { EnhancedSession } from './sessions.entity';
import { ACTIVITY_WRITE_INTERVAL_MS, isLive, renewedExpiry, sessionEnd } from './sessions.lifetime';
import { epochMs, rotateToken, type ActiveSession, type SessionDeps, type Timestamp } from './sessions.store';

// The session store's lookup (validate): a cookie value to its live session, from the cache or the
// database, with every lifetime rule checked and a due renewal, activity write or rotation done.

/** The cache's `seen` time is rewritten at most this often per session. */
const SEEN_RESOLUTION_MS = 1000;

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

/** A session that passed the lifetime rules, before its tenant context is resolved. */
type LiveSession = Omit<ActiveSession, 'tenantContext' | 'permissions'>;

/**
 * The session if `entry` (with what `seen` adds) is live at `now`, after a due renewal or activity
 * write; null when it has ended or the database no longer knows the token.
 */
async function accept(deps: SessionDeps, hash: string, entry: SessionEntry, seen: Seen | undefined, now: number): Promise<LiveSession | null> {
  const { em, cache, lifetime } = deps;
  let expiresAt = Math.max(entry.expiresAt, seen?.expiresAt ?? 0);
  const lastActivity = Math.max(entry.lastActivity, seen?.at ?? 0);
  let written = Math.max(entry.lastActivity, seen?.written ?? 0);
  if (!isLive({ createdAt: entry.createdAt, expiresAt, lastActivity }, now, lifetime)) return null;

  const renewTo = renewedExpiry({ createdAt: entry.createdAt, expiresAt }, now, lifetime);
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
    void storeSeen(cache, hash, record, (sessionEnd({ createdAt: entry.createdAt, expiresAt, lastActivity: now }, lifetime) - now) / 1000);
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
  if (cached?.entry.kind === 'dead') {
    deps.metrics?.sessionCache('hit');
    return null;
  }
  let found: { entry: SessionEntry; live: LiveSession } | null = null;
  if (cached?.entry.kind === 'value') {
    const live = await accept(deps, hash, cached.entry.value, cached.seen, now);
    if (live) found = { entry: cached.entry.value, live };
    // Else ended by the cache's account, which may lack a lost `seen` record: the database decides.
  }
  // Without a cache (session management off) there is nothing to hit or miss.
  if (cache) deps.metrics?.sessionCache(found ? 'hit' : 'miss');
  if (!found) {
    const entry = await loadEntry(em, hash);
    if (!entry) return null;
    const live = await accept(deps, hash, entry, cached?.seen, now);
    if (!live) return null;
    if (cache && cached && cached.entry.kind !== 'value') {
      const ttl = (sessionEnd({ createdAt: entry.createdAt, expiresAt: live.expiresAt.getTime(), lastActivity: now }, lifetime) - now) / 1000;
      await storeEntry(cache, hash, cached.entry, entry, ttl);
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
