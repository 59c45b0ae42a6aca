import type { Permission, TenantContext, UserInfo } from '@mreg/shared';
import type { Cache } from '../../cache/cache';

/**
 * How sessions sit in the cache. Two keys per session token:
 * - `session:<token hash>`: the session context as rebuilt from the database, or a tombstone once
 *   the token is dead. Written only by a rebuild, and only where nothing is stored (SET NX), so a
 *   rebuild that read the database just before a revocation cannot overwrite the tombstone.
 * - `session:<token hash>:seen`: when the session was last used and last written to the database;
 *   rewritten as requests come, never able to bring a dead session back.
 */
export interface SessionEntry {
  sessionId: string;
  userId: string;
  user: UserInfo;
  profile: ProfileSummary;
  tenantId: string | null;
  tenantContext: TenantContext | null;
  permissions: Permission[];
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

export interface Seen {
  /** The last request. */
  at: number;
  /** The last `last_activity` write to the database. */
  written: number;
}

/** An entry lives at most this long, so that a change made outside the app shows within minutes. */
export const ENTRY_MAX_TTL_SECONDS = 15 * 60;
/** As long as any entry written before the token died can live: no stale entry outlasts its tombstone. */
const TOMBSTONE_TTL_SECONDS = ENTRY_MAX_TTL_SECONDS;

const entryKey = (hash: string) => `session:${hash}`;
const seenKey = (hash: string) => `session:${hash}:seen`;

export type Cached = { entry: SessionEntry | undefined; dead: boolean; seen: Seen | undefined };

/** Both keys of a token in one round trip. */
export async function readCached(cache: Cache, hash: string): Promise<Cached> {
  const [value, seen] = (await cache.getMany([entryKey(hash), seenKey(hash)])) as [SessionEntry | Tombstone | undefined, Seen | undefined];
  if (value && 'revoked' in value) return { entry: undefined, dead: true, seen: undefined };
  return { entry: value, dead: false, seen };
}

/** The `seen` record of each token, in order. */
export async function readSeen(cache: Cache, hashes: readonly string[]): Promise<(Seen | undefined)[]> {
  return (await cache.getMany(hashes.map(seenKey))) as (Seen | undefined)[];
}

function ttlSeconds(entry: SessionEntry, now: number, absoluteMs: number): number {
  return Math.min(entry.expiresAt, entry.createdAt + absoluteMs) / 1000 - now / 1000;
}

/** Stores a rebuilt entry unless the key holds something (a tombstone, or a newer rebuild). */
export async function storeEntry(cache: Cache, hash: string, entry: SessionEntry, now: number, absoluteMs: number): Promise<void> {
  await cache.add(entryKey(hash), entry, Math.min(ttlSeconds(entry, now, absoluteMs), ENTRY_MAX_TTL_SECONDS));
}

export async function storeSeen(cache: Cache, hash: string, seen: Seen, entry: SessionEntry, absoluteMs: number): Promise<void> {
  await cache.set(seenKey(hash), seen, ttlSeconds(entry, seen.at, absoluteMs));
}

/** Drops an entry that no longer matches the database (a renewal moved its expiry). */
export async function dropEntry(cache: Cache, hash: string): Promise<void> {
  await cache.delete(entryKey(hash));
}

/** The tokens are dead: every instance refuses them on their next request. */
export async function buryTokens(cache: Cache, hashes: readonly string[]): Promise<void> {
  await Promise.all(
    hashes.map(async (hash) => {
      await cache.setEventually(entryKey(hash), { revoked: true } satisfies Tombstone, TOMBSTONE_TTL_SECONDS);
      await cache.delete(seenKey(hash));
    }),
  );
}
