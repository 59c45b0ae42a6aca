import type { UserInfo } from '@mreg/shared';
import type { Cache } from '../../cache/cache';
import { bury, fill, invalidate, slotIn, type Slot } from '../../cache/read-through';

/**
 * How sessions sit in the cache (the session store's own keys; nothing else reads or writes them).
 * Two keys per session token:
 * - `session:<token hash>` holds the session context as rebuilt from the database, read through with
 *   the cache's one protocol (cache/read-through.ts): a tombstone once the token is dead, a stale
 *   marker once the context changed in the database, and a rebuild never stored over either.
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
  entry: Slot<SessionEntry>;
  /** Undefined when the token is dead. */
  seen: Seen | undefined;
  /** What the `alongside` keys held, in order. */
  extra: unknown[];
}

/**
 * Both keys of a token in one round trip, and `alongside` keys in the same one (the tenant context
 * the token is known to need), answered in order as `extra`.
 */
export async function readCached(cache: Cache, hash: string, alongside: readonly string[] = []): Promise<Cached> {
  const [value, seen, ...extra] = await cache.getMany([entryKey(hash), seenKey(hash), ...alongside]);
  const entry = slotIn<SessionEntry>(cache, value);
  return { entry, seen: entry.kind === 'dead' ? undefined : (seen as Seen | undefined), extra };
}

/** Stores a rebuilt entry where the key was empty, or still holds the marker the rebuild saw. */
export async function storeEntry(cache: Cache, hash: string, seen: Slot<SessionEntry>, entry: SessionEntry, ttlSeconds: number): Promise<void> {
  await fill(cache, entryKey(hash), seen, entry, Math.min(ttlSeconds, ENTRY_MAX_TTL_SECONDS));
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
  if (hashes.length === 0) return;
  await bury(cache, hashes.map(entryKey), MARK_TTL_SECONDS);
  await cache.delete(...hashes.map(seenKey));
}

/** What the database says about these sessions changed (user, profile, membership, role): each instance rebuilds their context at their next request. */
export async function markStale(cache: Cache, hashes: readonly string[]): Promise<void> {
  await invalidate(cache, hashes.map(entryKey), MARK_TTL_SECONDS);
}
