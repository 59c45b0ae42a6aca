import { randomBytes } from 'node:crypto';
import type { Cache } from './cache';

/**
 * Read-through caching that a change can never be undone by: a change puts a stale marker at the
 * key, and a reader stores what it loaded only where the key is empty (SET NX) or still holds the
 * very marker it saw (compare and set). A reader that loaded just before a change therefore cannot
 * put the old value back over that change's marker. (Sessions follow the same rule in
 * modules/sessions/sessions.cache.ts, with tombstones besides.)
 */

interface StaleMarker {
  stale: string;
}

const isMarker = (value: unknown): value is StaleMarker => typeof value === 'object' && value !== null && 'stale' in value;

/**
 * The cached value at `key`, or `load()`'s, stored for `ttlSeconds` unless a change came in between.
 * `prefetched` is what the key held, read by the caller in a round trip of its own.
 */
export async function readThrough<T extends object>(
  cache: Cache,
  key: string,
  ttlSeconds: number,
  load: () => Promise<T>,
  prefetched?: { value: unknown },
): Promise<T> {
  const cached = prefetched ? (prefetched.value as T | StaleMarker | undefined) : await cache.get<T | StaleMarker>(key);
  if (cached !== undefined && !isMarker(cached)) return cached;
  const value = await load();
  if (cached) await cache.replace(key, cached, value, ttlSeconds);
  else await cache.add(key, value, ttlSeconds);
  return value;
}

/**
 * How long a stale marker lives for values cached `ttlSeconds`: it must outlive any read that started
 * before it (a database read and a store, milliseconds apart); a minute at least, and no shorter than
 * a value could live.
 */
export const markerTtlSeconds = (ttlSeconds: number) => Math.max(ttlSeconds, 60);

/**
 * What is at `key` changed in the database: every instance loads it again. The marker must outlive
 * any value stored before it (`ttlSeconds`, at least the values' own); `setEventually` keeps it in
 * the process while Redis is down and writes it when Redis is back.
 */
export async function invalidate(cache: Cache, keys: readonly string[], ttlSeconds: number): Promise<void> {
  await Promise.all(keys.map((key) => cache.setEventually(key, { stale: randomBytes(8).toString('hex') } satisfies StaleMarker, ttlSeconds)));
}
