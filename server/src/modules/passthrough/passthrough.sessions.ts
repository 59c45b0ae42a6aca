import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Cache } from '../../cache/cache';

/**
 * Who opened each upstream MCP session passed through /mcp/<slug>: the one owner of the
 * `mcp-session:` cache keys (Redis when configured, so every instance sees them). An upstream's
 * session id is a bearer secret of its own: whoever presents it speaks in that session, so MREG
 * lets only the user (and kind of credential) that opened it present it.
 *
 * Only a hash of the id is stored. The binding slides: each request through the session renews
 * it for SESSION_TTL_SECONDS. An id with no binding (never seen, idle past the TTL, lost with an
 * in-process cache at restart, or evicted) is refused like another user's: not found, which MCP
 * clients answer by opening a new session. Forwarding it instead would let anyone who learned an id
 * use it once its binding was gone.
 */

export const SESSION_TTL_SECONDS = 24 * 3600;

export interface SessionOwner {
  userId: string;
  /** The kind of credential that opened it: a session an API key opened is not an OAuth client's. */
  credential: string;
}

const key = (serverId: string, sessionId: string) => `mcp-session:${serverId}:${createHash('sha256').update(sessionId).digest('base64url')}`;

const sameOwner = (a: SessionOwner, b: SessionOwner) => a.userId === b.userId && a.credential === b.credential;

export type SessionCheck = 'owner' | 'other' | 'unknown';

/**
 * Bindings this process found to be their owner's lately, so that a busy session costs no cache
 * round trip a request: an owner stays its session's owner, so a confirmation can only be stale by
 * the session having ended (the upstream then says so). Renewed in the cache at most once a
 * CONFIRMED_MS, long before the TTL runs out.
 */
const CONFIRMED_MS = 60_000;
const confirmed = new WeakMap<Cache, LRUCache<string, { owner: SessionOwner; at: number }>>();
const confirmedIn = (cache: Cache) => {
  let kept = confirmed.get(cache);
  if (!kept) confirmed.set(cache, (kept = new LRUCache({ max: 10_000 })));
  return kept;
};

/** Whether `owner` may present `sessionId` to the server; renews the binding when it may. */
export async function checkSession(cache: Cache, serverId: string, sessionId: string, owner: SessionOwner): Promise<SessionCheck> {
  const at = key(serverId, sessionId);
  const kept = confirmedIn(cache);
  const seen = kept.get(at);
  if (seen && Date.now() - seen.at < CONFIRMED_MS && sameOwner(seen.owner, owner)) return 'owner';
  const stored = await cache.get<SessionOwner>(at);
  if (!stored) return 'unknown';
  if (!sameOwner(stored, owner)) return 'other';
  await cache.set(at, stored, SESSION_TTL_SECONDS);
  kept.set(at, { owner: stored, at: Date.now() });
  return 'owner';
}

/**
 * Binds a session id the upstream just gave to `owner`: 'bound' (or already theirs), 'other' when
 * it is someone else's, 'unstored' when the cache did not take it (then MREG must not hand the id
 * on, since no later request could be let through).
 */
export async function bindSession(cache: Cache, serverId: string, sessionId: string, owner: SessionOwner): Promise<'bound' | 'other' | 'unstored'> {
  const value: SessionOwner = { userId: owner.userId, credential: owner.credential };
  if (await cache.add(key(serverId, sessionId), value, SESSION_TTL_SECONDS)) return 'bound';
  const stored = await cache.get<SessionOwner>(key(serverId, sessionId));
  if (!stored) return 'unstored';
  return sameOwner(stored, owner) ? 'bound' : 'other';
}

/** Forgets a session (deleted by its owner, or ended upstream). */
export async function dropSession(cache: Cache, serverId: string, sessionId: string): Promise<void> {
  confirmedIn(cache).delete(key(serverId, sessionId));
  await cache.delete(key(serverId, sessionId));
}
