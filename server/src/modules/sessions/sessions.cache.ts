import { randomBytes } from 'node:crypto';
import type { UserInfo } from '@mreg/shared';
import type { Cache } from '../../cache/cache';

/**
 * How sessions sit in the cache. Two keys per session token:
 * - `session:<token hash>` holds the session context as rebuilt from the database, a tombstone once
 *   the token is dead, or a stale marker once the context changed in the database. A rebuild stores
 *   an entry only where the key is empty (SET NX) or still holds the very marker it saw (compare and
 *   set), so a rebuild that read the database before a revocation or a change can never overwrite
 *   what that revocation or change wrote.
 * - `session:<token hash>:seen` holds what changes with use: the last request, the last
 *   `last_activity` write, and a renewed expiry. It is rewritten freely: it can never bring a dead
 *   token back, since the entry key is read first.
 */
export interface SessionEntry {
  sessionId: string;
  userId: string;
  user: UserInfo;
  profile: ProfileSummary;
  /** The active tenant; the person's standing in it is resolved per request (tenant-context.ts). */
  tenantId: string | null;
  /** The holder's role changed since the token was issued: the next request that can set a cookie rotates it. */
  rotationDue: boolean;
  /** Epoch milliseconds, as stored in the database when the entry was built. */
  createdAt: number;
  expiresAt: number;
  lastActivity: number;
}

export interface ProfileSummary {
  displayName: string | null;
  avatarUrl: string | null;
}

interface Tombstone {
  revoked: true;
}

interface StaleMarker {
  stale: string;
}

export interface Seen {
  /** The last request. */
  at: number;
  /** The last `last_activity` write to the database. */
  written: number;
  /** The expiry as a renewal since the entry was built moved it. */
  expiresAt?: number;
}

/** An entry lives at most this long, so that a change made outside the app shows within minutes. */
const ENTRY_MAX_TTL_SECONDS = 15 * 60;
/** Tombstones and markers live as long as any entry written before them could. */
const MARK_TTL_SECONDS = ENTRY_MAX_TTL_SECONDS;

const entryKey = (hash: string) => `session:${hash}`;
const seenKey = (hash: string) => `session:${hash}:seen`;

export interface Cached {
  entry: SessionEntry | undefined;
  dead: boolean;
  /** The marker found where the entry was: a rebuild may replace exactly this. */
  stale: StaleMarker | undefined;
  seen: Seen | undefined;
}

/**
 * Both keys of a token in one round trip, and `alongside` keys in the same one (the tenant context
 * the token is known to need), answered in order as `extra`.
 */
export async function readCached(cache: Cache, hash: string, alongside: readonly string[] = []): Promise<Cached & { extra: unknown[] }> {
  const [value, seen, ...extra] = (await cache.getMany([entryKey(hash), seenKey(hash), ...alongside])) as [
    SessionEntry | Tombstone | StaleMarker | undefined,
    Seen | undefined,
    ...unknown[],
  ];
  if (value && 'revoked' in value) return { entry: undefined, dead: true, stale: undefined, seen: undefined, extra };
  if (value && 'stale' in value) return { entry: undefined, dead: false, stale: value, seen, extra };
  return { entry: value, dead: false, stale: undefined, seen, extra };
}

/** Stores a rebuilt entry where the key is empty, or where it still holds the marker the rebuild saw. */
export async function storeEntry(cache: Cache, hash: string, entry: SessionEntry, seenStale: StaleMarker | undefined, ttlSeconds: number): Promise<void> {
  const ttl = Math.min(ttlSeconds, ENTRY_MAX_TTL_SECONDS);
  if (seenStale) await cache.replace(entryKey(hash), seenStale, entry, ttl);
  else await cache.add(entryKey(hash), entry, ttl);
}

export async function storeSeen(cache: Cache, hash: string, seen: Seen, ttlSeconds: number): Promise<void> {
  await cache.set(seenKey(hash), seen, ttlSeconds);
}

/** The `seen` record of each token, in order. */
export async function readSeen(cache: Cache, hashes: readonly string[]): Promise<(Seen | undefined)[]> {
  return (await cache.getMany(hashes.map(seenKey))) as (Seen | undefined)[];
}

/** The tokens are dead: every instance refuses them on their next request. */
export async function buryTokens(cache: Cache, hashes: readonly string[]): Promise<void> {
  await Promise.all(
    hashes.map(async (hash) => {
      await cache.setEventually(entryKey(hash), { revoked: true } satisfies Tombstone, MARK_TTL_SECONDS);
      await cache.delete(seenKey(hash));
    }),
  );
}

/**
 * What the database says about these sessions changed (user, profile, membership, role): each
 * instance rebuilds their context at their next request. A marker over a tombstone is harmless:
 * the rebuild finds the token dead in the database.
 */
export async function markStale(cache: Cache, hashes: readonly string[]): Promise<void> {
  await Promise.all(
    hashes.map((hash) => cache.setEventually(entryKey(hash), { stale: randomBytes(8).toString('hex') } satisfies StaleMarker, MARK_TTL_SECONDS)),
  );
}
