import type { EntityManager } from '@mikro-orm/postgresql';
import {
  PREFERENCE_CATEGORIES_MAX,
  PREFERENCE_KEYS_PER_CATEGORY_MAX,
  type CategoryPreferences,
  type PreferencesByCategory,
  type PreferencesStorage,
} from '@mreg/shared';
import type { Cache } from '../../cache/cache';
import { invalidate, markerTtlSeconds, readThrough } from '../../cache/read-through';
import type { Settings } from '../../config';
import { AppError } from '../../errors';
import { CacheUnavailableError, MemoryHashes, type HashWriteResult, type PreferenceHashes } from './preferences.hashes';
import { RedisHashes } from './preferences.hashes.redis';

/**
 * Where preferences live (MREG_FASTMCP_PREFERENCES_STORAGE): the database, Redis, or both (written
 * to both, read from Redis first). Every mode enforces the same limits, atomically: concurrent
 * writers never exceed them, never fail on each other, and the last write of a key wins.
 */
export interface PreferencesStore {
  readCategory(userId: string, category: string): Promise<CategoryPreferences>;
  /**
   * All of a person's preferences (what `auth.user` answers with). `prefetched` is what
   * `cachedAllKey(userId)` held, read by the caller in a round trip of its own.
   */
  readAll(userId: string, prefetched?: { value: unknown }): Promise<PreferencesByCategory>;
  /** Where readAll's answer is cached (the database store, caching on), or undefined. */
  cachedAllKey(userId: string): string | undefined;
  /** Sets the given keys (others keep their values); answers the category after the write. */
  write(userId: string, category: string, preferences: CategoryPreferences): Promise<CategoryPreferences>;
}

export interface PreferencesStoreDeps {
  em: EntityManager;
  cache: Cache;
  storage: PreferencesStorage;
  /** Under `database` storage, how long the answer of readAll stays cached (MREG_FASTMCP_PREFERENCES_CACHE_TTL); 0 reads the table every time. */
  cacheTtlSeconds: number;
}

/** The store of the configured mode, for a request (its EntityManager) or a script. */
export function preferencesStore({ em, cache, storage, cacheTtlSeconds }: PreferencesStoreDeps): PreferencesStore {
  if (storage === 'database') return databaseStore(em, cache, cacheTtlSeconds);
  if (storage === 'redis') return redisStore(cache);
  return bothStore(em, cache, cacheTtlSeconds);
}

/** The store for a tRPC context. */
export function preferencesStoreFor(ctx: { em: EntityManager; cache: Cache; settings: Settings }): PreferencesStore {
  const { preferencesStorage, preferencesCacheTtlSeconds } = ctx.settings.fastmcp;
  return preferencesStore({ em: ctx.em, cache: ctx.cache, storage: preferencesStorage, cacheTtlSeconds: preferencesCacheTtlSeconds });
}

/**
 * Where the database store caches a person's preferences, all categories in one value, read through
 * with stale markers (cache/read-through.ts) as profiles are: every write puts a marker there after
 * its commit, and a read that loaded before the write cannot put the old preferences back.
 */
const allKey = (userId: string) => `prefs-all:${userId}`;

/**
 * After a committed write of the table (database and both storage, on any instance): every
 * instance's next auth.user reads the table again. In both storage too, so that an entry cached
 * before a switch of modes cannot outlive writes made under the other one.
 */
const markAllStale = (cache: Cache, userId: string, ttlSeconds: number) => invalidate(cache, [allKey(userId)], markerTtlSeconds(ttlSeconds));

/**
 * Per-person advisory lock (two-key form: 'pref' as a 32-bit integer, and the user id's hash), held
 * by a write from its count to its commit, so that concurrent writes of one person cannot both pass
 * the limits. A hash collision between two people only makes them wait for each other.
 */
const PREFERENCES_LOCK = 0x70726566;

function keysFull(category: string, count: number, adding: number): AppError {
  return new AppError(
    'BAD_REQUEST',
    `preferences: a category holds at most ${PREFERENCE_KEYS_PER_CATEGORY_MAX} keys; "${category}" has ${count} and this update adds ${adding}; nothing was written`,
  );
}

function categoriesFull(category: string, count: number): AppError {
  return new AppError(
    'BAD_REQUEST',
    `category: a person keeps at most ${PREFERENCE_CATEGORIES_MAX} categories; you have ${count} and "${category}" would be another; nothing was written`,
  );
}

const unavailable = () =>
  new AppError('UNAVAILABLE', 'Preferences are kept in Redis (MREG_FASTMCP_PREFERENCES_STORAGE), which does not answer; try again shortly');

// ---------------------------------------------------------------- database

type Row = { category: string; key: string; value: unknown };

async function dbReadCategory(em: EntityManager, userId: string, category: string): Promise<CategoryPreferences> {
  const rows = await em.execute<Row[]>('select key, value from user_preferences where user_id = ? and category = ? order by key', [userId, category]);
  return Object.fromEntries(rows.map((row) => [row.key, row.value]));
}

async function dbReadAll(em: EntityManager, userId: string): Promise<PreferencesByCategory> {
  const rows = await em.execute<Row[]>('select category, key, value from user_preferences where user_id = ? order by category, key', [userId]);
  const byCategory = new Map<string, [string, unknown][]>();
  for (const row of rows) {
    const entries = byCategory.get(row.category) ?? [];
    entries.push([row.key, row.value]);
    byCategory.set(row.category, entries);
  }
  return Object.fromEntries([...byCategory].map(([category, entries]) => [category, Object.fromEntries(entries)]));
}

/** Where a committed write of the table marks auth.user's cached copy stale (markAllStale). */
interface CachedCopy {
  cache: Cache;
  ttlSeconds: number;
}

/**
 * The write in one transaction: lock the person, count, refuse or upsert, then `alsoWrite` (the
 * Redis copy in `both` mode) while the lock is still held, so that copies are written in the same
 * order as the rows, given the update and the whole category after it. After the commit, marks
 * auth.user's cached copy stale. Answers the category as committed.
 */
async function dbWrite(
  em: EntityManager,
  copy: CachedCopy,
  userId: string,
  category: string,
  preferences: CategoryPreferences,
  alsoWrite?: (update: CategoryPreferences, after: CategoryPreferences) => Promise<void>,
): Promise<CategoryPreferences> {
  const names = Object.keys(preferences);
  if (names.length === 0) return dbReadCategory(em, userId, category);
  // One JSON parameter carries the keys and values: jsonb stores "null" as JSON null, where a
  // per-row parameter of null would be SQL NULL.
  const json = JSON.stringify(preferences);
  const committed = await em.transactional(async (tx) => {
    await tx.execute('select pg_advisory_xact_lock(?, hashtext(?))', [PREFERENCES_LOCK, userId]);
    const [counts] = await tx.execute<{ inCategory: number; categories: number; existing: number }[]>(
      `select count(*) filter (where category = ?)::int as "inCategory",
              count(distinct category)::int as "categories",
              count(*) filter (where category = ? and key in (select jsonb_object_keys(?::jsonb)))::int as "existing"
         from user_preferences where user_id = ?`,
      [category, category, json, userId],
    );
    const { inCategory = 0, categories = 0, existing = 0 } = counts ?? {};
    const adding = names.length - existing;
    if (inCategory + adding > PREFERENCE_KEYS_PER_CATEGORY_MAX) throw keysFull(category, inCategory, adding);
    if (inCategory === 0 && adding > 0 && categories >= PREFERENCE_CATEGORIES_MAX) throw categoriesFull(category, categories);
    await tx.execute(
      `insert into user_preferences (user_id, category, key, value)
       select ?, ?, entry.key, entry.value from jsonb_each(?::jsonb) as entry
       on conflict (user_id, category, key) do update set value = excluded.value, updated_at = now()`,
      [userId, category, json],
    );
    const after = await dbReadCategory(tx, userId, category);
    await alsoWrite?.(preferences, after);
    return after;
  });
  // Even where this instance does not cache (TTL 0): other instances may.
  await markAllStale(copy.cache, userId, copy.ttlSeconds);
  return committed;
}

function databaseStore(em: EntityManager, cache: Cache, ttlSeconds: number): PreferencesStore {
  return {
    readCategory: (userId, category) => dbReadCategory(em, userId, category),
    readAll: (userId, prefetched) =>
      ttlSeconds > 0 ? readThrough(cache, allKey(userId), ttlSeconds, () => dbReadAll(em, userId), prefetched) : dbReadAll(em, userId),
    cachedAllKey: (userId) => (ttlSeconds > 0 ? allKey(userId) : undefined),
    write: (userId, category, preferences) => dbWrite(em, { cache, ttlSeconds }, userId, category, preferences),
  };
}

// ---------------------------------------------------------------- Redis

/** One per cache: the Redis side remembers the drops Redis has not taken yet. */
const hashesByCache = new WeakMap<Cache, PreferenceHashes>();

/** The preference hashes (preferences.hashes.ts) kept in `cache`'s backend. */
export function preferenceHashes(cache: Cache): PreferenceHashes {
  let hashes = hashesByCache.get(cache);
  if (!hashes) {
    const backend = cache.backend;
    hashes = backend.kind === 'memory' ? new MemoryHashes(backend.kept, backend.key) : new RedisHashes(backend);
    hashesByCache.set(cache, hashes);
  }
  return hashes;
}

/** `prefs:<userId>` (the set of categories) and `prefs:<userId>:<category>` (key -> JSON). */
const groupOf = (userId: string) => `prefs:${userId}`;

function byCategory(members: Record<string, { fields: Record<string, unknown> }>): PreferencesByCategory {
  return Object.fromEntries(
    Object.entries(members)
      .filter(([, hash]) => Object.keys(hash.fields).length > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([category, hash]) => [category, hash.fields]),
  );
}

async function orUnavailable<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CacheUnavailableError) throw unavailable();
    throw error;
  }
}

function written(category: string, result: HashWriteResult): CategoryPreferences {
  if (result.written) return result.fields;
  if (result.limit === 'fields') throw keysFull(category, result.count, result.adding);
  throw categoriesFull(category, result.count);
}

function redisStore(cache: Cache): PreferencesStore {
  const hashes = preferenceHashes(cache);
  return {
    readCategory: (userId, category) => orUnavailable(async () => (await hashes.read(groupOf(userId), category)).fields),
    readAll: (userId) => orUnavailable(async () => byCategory((await hashes.readGroup(groupOf(userId))).members)),
    cachedAllKey: () => undefined,
    write: (userId, category, preferences) =>
      orUnavailable(async () =>
        written(
          category,
          await hashes.write(groupOf(userId), category, preferences, {
            limits: { maxFields: PREFERENCE_KEYS_PER_CATEGORY_MAX, maxMembers: PREFERENCE_CATEGORIES_MAX },
          }),
        ),
      ),
  };
}

// ---------------------------------------------------------------- both

/**
 * The database is the record and enforces the limits; Redis holds a copy, read first. A copy counts
 * only once marked complete: a refill (hashes.fill) marks what it filled from the database, and
 * a writer, holding the person's lock, makes its category complete when it was not (it knows the
 * whole category). A refill never overwrites a value a writer put there (HSETNX), so a reader
 * holding rows older than a write cannot undo it. When Redis fails, reads come from the database
 * and a write drops Redis's copy of its category, so that the next read refills it.
 */
function bothStore(em: EntityManager, cache: Cache, ttlSeconds: number): PreferencesStore {
  const hashes = preferenceHashes(cache);
  const refill = async (userId: string, members: PreferencesByCategory, groupComplete: boolean) => {
    try {
      await hashes.fill(groupOf(userId), members, groupComplete);
    } catch (error) {
      if (!(error instanceof CacheUnavailableError)) throw error;
    }
  };
  return {
    async readCategory(userId, category) {
      try {
        const hash = await hashes.read(groupOf(userId), category);
        if (hash.complete) return hash.fields;
      } catch (error) {
        if (!(error instanceof CacheUnavailableError)) throw error;
      }
      const preferences = await dbReadCategory(em, userId, category);
      await refill(userId, { [category]: preferences }, false);
      return preferences;
    },

    async readAll(userId) {
      try {
        const group = await hashes.readGroup(groupOf(userId));
        if (group.complete && Object.values(group.members).every((hash) => hash.complete)) return byCategory(group.members);
      } catch (error) {
        if (!(error instanceof CacheUnavailableError)) throw error;
      }
      const all = await dbReadAll(em, userId);
      await refill(userId, all, true);
      return all;
    },

    // Redis is where these are read from already.
    cachedAllKey: () => undefined,

    async write(userId, category, preferences) {
      const drop = () => hashes.drop(groupOf(userId), category);
      let copied = false;
      try {
        return await dbWrite(em, { cache, ttlSeconds }, userId, category, preferences, async (update, after) => {
          copied = true;
          try {
            const copy = await hashes.write(groupOf(userId), category, update);
            if (copy.written && !copy.complete) await hashes.write(groupOf(userId), category, after, { complete: true });
          } catch (error) {
            if (!(error instanceof CacheUnavailableError)) throw error;
            // A copy that missed this write must not be read as complete: drop it (at once, or as
            // soon as Redis is back), and the next read refills it.
            await drop();
          }
        });
      } catch (error) {
        // Copied, then not committed: the copy would hold values the database never took.
        if (copied) await drop();
        throw error;
      }
    },
  };
}
