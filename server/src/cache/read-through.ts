import { randomBytes } from 'node:crypto';
import type { Cache } from './cache';

/**
 * Read-through caching that a change can never be undone by, the one protocol every cached value
 * follows (sessions, tenant contexts, profiles, preferences). A change puts a stale marker at the
 * key (`invalidate`), or a tombstone when the thing is gone for good (`bury`: a dead session token);
 * a reader stores what it loaded only where the key is empty (SET NX) or still holds the very marker
 * it saw (compare and set), never over a tombstone. A reader that loaded just before a change
 * therefore cannot put the old value back over that change's mark.
 */

interface StaleMarker {
  stale: string;
}

interface Tombstone {
  revoked: true;
}

/** What a key holds under this protocol. */
export type Slot<T> = { kind: 'value'; value: T } | { kind: 'empty' } | { kind: 'stale'; marker: StaleMarker } | { kind: 'dead' };

/** Whether `raw` is exactly `{ [field]: <a value of `type`> }`: a cached value that merely has such a key (a preference category named "stale") is no mark. */
const isMark = (raw: unknown, field: string, type: 'string' | 'boolean'): boolean =>
  typeof raw === 'object' && raw !== null && Object.keys(raw).length === 1 && typeof (raw as Record<string, unknown>)[field] === type;

/** Reads a key's raw content (from `get` or `getMany`) as a slot. */
export function slotOf<T>(raw: unknown): Slot<T> {
  if (raw === undefined) return { kind: 'empty' };
  if (isMark(raw, 'revoked', 'boolean')) return { kind: 'dead' };
  if (isMark(raw, 'stale', 'string')) return { kind: 'stale', marker: raw as StaleMarker };
  return { kind: 'value', value: raw as T };
}

/**
 * The slot of what `cache` answered for a key, as a reader may act on it: while the cache may have
 * lost writes made elsewhere (Cache.mayHaveLostWrites, just after a reconnection), a value found is
 * read as nothing found, so the reader loads from the database; its store is then an SET NX that
 * the value still there refuses, and a tombstone landing meanwhile is never overwritten. Tombstones
 * and markers found count as always: they can only make a reader load, or refuse.
 */
export function slotIn<T>(cache: Cache, raw: unknown): Slot<T> {
  const slot = slotOf<T>(raw);
  return slot.kind === 'value' && cache.mayHaveLostWrites ? { kind: 'empty' } : slot;
}

/** Stores a loaded value where the key was empty, or still holds the marker the load saw; true when stored. */
export async function fill<T>(cache: Cache, key: string, seen: Slot<T>, value: T, ttlSeconds: number): Promise<boolean> {
  if (seen.kind === 'empty') return cache.add(key, value, ttlSeconds);
  if (seen.kind === 'stale') return cache.replace(key, seen.marker, value, ttlSeconds);
  return false;
}

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
  const slot = slotIn<T>(cache, prefetched ? prefetched.value : await cache.get(key));
  if (slot.kind === 'value') return slot.value;
  const value = await load();
  await fill(cache, key, slot, value, ttlSeconds);
  return value;
}

/**
 * How long a stale marker lives for values cached `ttlSeconds`: it must outlive any read that started
 * before it (a database read and a store, milliseconds apart); a minute at least, and no shorter than
 * a value could live.
 */
export const markerTtlSeconds = (ttlSeconds: number) => Math.max(ttlSeconds, 60);

/**
 * What is at `keys` changed in the database: every instance loads it again. The marker must outlive
 * any value stored before it (`ttlSeconds`, at least the values' own); `setEventually` keeps it in
 * the process while Redis is down and writes it when Redis is back. A marker over a tombstone is
 * harmless: the loader finds the thing gone.
 */
export async function invalidate(cache: Cache, keys: readonly string[], ttlSeconds: number): Promise<void> {
  await Promise.all(keys.map((key) => cache.setEventually(key, { stale: randomBytes(8).toString('hex') } satisfies StaleMarker, ttlSeconds)));
}

/** What is at `keys` is gone for good: every instance refuses it, and no load stores it again while the tombstone lives. */
export async function bury(cache: Cache, keys: readonly string[], ttlSeconds: number): Promise<void> {
  await Promise.all(keys.map((key) => cache.setEventually(key, { revoked: true } satisfies Tombstone, ttlSeconds)));
}
