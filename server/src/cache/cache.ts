import { LRUCache } from 'lru-cache';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { MemoryStore, type Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';

/**
 * The one cache of the app: Redis when MREG_REDIS_URL is set, an in-process LRU otherwise. Keys are
 * namespaced (`mreg:<area>:<id>`); values are JSON. A Redis failure is logged and answers as a miss:
 * callers always have the database to fall back to.
 */
export interface Cache {
  readonly kind: 'redis' | 'memory';
  /** Whether the backing store is connected now (for metrics): Redis ready, or always for memory. */
  readonly available: boolean;
  get<T>(key: string): Promise<T | undefined>;
  /** Several values in one round trip, in the order of `keys`. */
  getMany(keys: string[]): Promise<unknown[]>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Stores only when the key holds nothing (SET NX); true when stored. */
  add(key: string, value: unknown, ttlSeconds: number): Promise<boolean>;
  /** Stores only when the key still holds `expected` (compare and set); true when stored. */
  replace(key: string, expected: unknown, value: unknown, ttlSeconds: number): Promise<boolean>;
  /**
   * A write that must not be lost (a dead session's tombstone): when Redis cannot take it, it is
   * kept in this process, answered from there, and written as soon as Redis is back.
   */
  setEventually(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** False when the store could not be reached, so a caller that must not serve stale data can act. */
  delete(...keys: string[]): Promise<boolean>;
  /** The cached value, or the loader's, stored for `ttlSeconds`. `undefined` from the loader is not stored. */
  getOrSet<T>(key: string, ttlSeconds: number, loader: () => Promise<T>): Promise<T>;
  /**
   * Where a rate limiter keeps its counters: Redis (shared by every instance) under
   * `<namespace>:rate:<name>:`, or undefined for express-rate-limit's in-process store.
   */
  rateLimitStore(name: string): Store | undefined;
  /** Throws when the backing store does not answer (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;

  /*
   * Kept data (preferences): hashes without expiry, `<group>:<member>` (field -> JSON), and the
   * group's index, the set `<group>` of its members. Never evicted. Unlike the methods above, these
   * throw CacheUnavailableError rather than answer a failure as a miss, since the cache may be the
   * only place the data lives. Fields and members are non-empty: "" is the field (in a hash) and the
   * member (in an index) that mark them complete, i.e. holding everything their source holds.
   */
  /**
   * Sets `fields` in the member's hash and lists the member in the group, atomically; with `limits`,
   * only when the hash then holds at most `maxFields` fields and the group at most `maxMembers`
   * members, else nothing is written. `complete` marks the hash complete (the caller wrote all its
   * source holds). Answers the hash after the write.
   */
  writeHash(group: string, member: string, fields: Record<string, unknown>, options?: HashWriteOptions): Promise<HashWriteResult>;
  /**
   * Refills from a source of record: adds only the fields a hash lacks (HSETNX), so that a newer value
   * a writer put there stays, then marks each hash complete; `groupComplete` marks the index complete
   * too (after the members). Members without fields are skipped.
   */
  fillHashes(group: string, members: Record<string, Record<string, unknown>>, groupComplete: boolean): Promise<void>;
  /** A member's hash: no fields and not complete when there is none. */
  readHash(group: string, member: string): Promise<StoredHash>;
  /** Every member's hash, and whether the index is complete. */
  readHashGroup(group: string): Promise<{ members: Record<string, StoredHash>; complete: boolean }>;
  /**
   * A member's hash that must go (its copy missed a write). When Redis cannot take the delete, this
   * process reads the hash as absent and deletes it before anything else as soon as Redis is back,
   * so a stale copy is never read as complete. Never throws.
   */
  dropHash(group: string, member: string): Promise<void>;
}

export interface HashWriteOptions {
  limits?: { maxFields: number; maxMembers: number };
  complete?: boolean;
}

export interface StoredHash {
  fields: Record<string, unknown>;
  complete: boolean;
}

export type HashWriteResult =
  | ({ written: true } & StoredHash)
  | { written: false; limit: 'fields'; count: number; adding: number }
  | { written: false; limit: 'members'; count: number };

/** The cache could not be reached for an operation that must not answer a miss in place of data. */
export class CacheUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Cache unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'CacheUnavailableError';
  }
}

/** Field of a complete hash and member of a complete index. */
const COMPLETE = '';

function assertNames(names: Iterable<string>, what: string): void {
  for (const name of names) if (name === COMPLETE) throw new Error(`${what} names must not be empty`);
}

/** A hash's stored fields (JSON) as StoredHash; the completeness marker is no field. */
function storedHash(entries: Iterable<[string, string]>): StoredHash {
  let complete = false;
  const fields: [string, unknown][] = [];
  for (const [field, json] of entries) {
    if (field === COMPLETE) complete = true;
    else fields.push([field, JSON.parse(json)]);
  }
  // fromEntries defines properties, so even a "__proto__" field is a field.
  return { fields: Object.fromEntries(fields), complete };
}

export interface CacheOptions {
  redisUrl: string | undefined;
  logger: Logger;
  /** Key namespace; `mreg` in the app, a unique one per test file. */
  namespace?: string;
  /** Entries kept by the in-process cache. */
  maxEntries?: number;
  /** Least time between two logged Redis failures. */
  errorLogIntervalMs?: number;
}

/** How often writes and deletes Redis did not take are tried again, while any is pending. */
const PENDING_RETRY_MS = 1000;

/**
 * Fail fast (STACK.md): a dead or hung Redis costs at most a few hundred milliseconds per command.
 * With auto-pipelining, a command issued while the previous batch is still out waits for it: up
 * to two command timeouts (600 ms) while Redis hangs; a closed connection fails at once.
 */
export const REDIS_OPTIONS = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  commandTimeout: 300,
  // Commands issued in the same tick (concurrent requests' lookups) leave in one socket write.
  enableAutoPipelining: true,
  retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
} as const;

abstract class BaseCache implements Cache {
  abstract readonly kind: 'redis' | 'memory';
  abstract readonly available: boolean;
  protected constructor(protected readonly namespace: string) {}
  abstract get<T>(key: string): Promise<T | undefined>;
  abstract getMany(keys: string[]): Promise<unknown[]>;
  abstract set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  abstract add(key: string, value: unknown, ttlSeconds: number): Promise<boolean>;
  abstract replace(key: string, expected: unknown, value: unknown, ttlSeconds: number): Promise<boolean>;
  abstract setEventually(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  abstract delete(...keys: string[]): Promise<boolean>;
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;
  abstract rateLimitStore(name: string): Store | undefined;
  abstract writeHash(group: string, member: string, fields: Record<string, unknown>, options?: HashWriteOptions): Promise<HashWriteResult>;
  abstract fillHashes(group: string, members: Record<string, Record<string, unknown>>, groupComplete: boolean): Promise<void>;
  abstract readHash(group: string, member: string): Promise<StoredHash>;
  abstract readHashGroup(group: string): Promise<{ members: Record<string, StoredHash>; complete: boolean }>;
  abstract dropHash(group: string, member: string): Promise<void>;

  protected key(key: string): string {
    return `${this.namespace}:${key}`;
  }

  async getOrSet<T>(key: string, ttlSeconds: number, loader: () => Promise<T>): Promise<T> {
    const cached = await this.get<T>(key);
    if (cached !== undefined) return cached;
    const value = await loader();
    if (value !== undefined) await this.set(key, value, ttlSeconds);
    return value;
  }
}

class MemoryCache extends BaseCache {
  readonly kind = 'memory';
  readonly available = true;
  private readonly lru: LRUCache<string, { json: string }>;
  // Kept data lives beside the LRU, never in it: evicting it would lose it.
  private readonly hashes = new Map<string, Map<string, string>>();
  private readonly indexes = new Map<string, Set<string>>();

  constructor(namespace: string, maxEntries: number) {
    super(namespace);
    this.lru = new LRUCache({ max: maxEntries, ttlAutopurge: false });
  }

  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.lru.get(this.key(key));
    return entry === undefined ? undefined : (JSON.parse(entry.json) as T);
  }

  async getMany(keys: string[]): Promise<unknown[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    if (ttlSeconds <= 0) return;
    // Stored as JSON so callers get a copy, exactly as from Redis.
    this.lru.set(this.key(key), { json: JSON.stringify(value) }, { ttl: ttlSeconds * 1000 });
  }

  async add(key: string, value: unknown, ttlSeconds: number): Promise<boolean> {
    if (ttlSeconds <= 0 || this.lru.has(this.key(key))) return false;
    await this.set(key, value, ttlSeconds);
    return true;
  }

  async replace(key: string, expected: unknown, value: unknown, ttlSeconds: number): Promise<boolean> {
    if (ttlSeconds <= 0 || this.lru.get(this.key(key))?.json !== JSON.stringify(expected)) return false;
    await this.set(key, value, ttlSeconds);
    return true;
  }

  setEventually(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    return this.set(key, value, ttlSeconds);
  }

  async delete(...keys: string[]): Promise<boolean> {
    // As Redis's DEL, whatever the key holds.
    for (const key of keys) {
      this.lru.delete(this.key(key));
      this.hashes.delete(this.key(key));
      this.indexes.delete(this.key(key));
    }
    return true;
  }

  // Each of these runs without an await in between, so each is atomic as Redis's scripts are.
  async writeHash(group: string, member: string, fields: Record<string, unknown>, { limits, complete }: HashWriteOptions = {}): Promise<HashWriteResult> {
    const names = Object.keys(fields);
    assertNames([member, ...names], 'Member and field');
    const hashKey = this.key(`${group}:${member}`);
    const hash = this.hashes.get(hashKey);
    const index = this.indexes.get(this.key(group));
    if (limits) {
      const count = (hash?.size ?? 0) - (hash?.has(COMPLETE) ? 1 : 0);
      const adding = names.filter((name) => !hash?.has(name)).length;
      if (count + adding > limits.maxFields) return { written: false, limit: 'fields', count, adding };
      if (adding > 0 && !index?.has(member)) {
        const members = (index?.size ?? 0) - (index?.has(COMPLETE) ? 1 : 0);
        if (members >= limits.maxMembers) return { written: false, limit: 'members', count: members };
      }
    }
    if (names.length > 0) {
      const target = hash ?? new Map<string, string>();
      for (const name of names) target.set(name, JSON.stringify(fields[name]));
      if (complete) target.set(COMPLETE, '1');
      this.hashes.set(hashKey, target);
      this.indexes.set(this.key(group), (index ?? new Set<string>()).add(member));
    }
    return { written: true, ...storedHash(this.hashes.get(hashKey) ?? []) };
  }

  async fillHashes(group: string, members: Record<string, Record<string, unknown>>, groupComplete: boolean): Promise<void> {
    const index = this.indexes.get(this.key(group)) ?? new Set<string>();
    for (const [member, fields] of Object.entries(members)) {
      const names = Object.keys(fields);
      if (names.length === 0) continue;
      assertNames([member, ...names], 'Member and field');
      const hashKey = this.key(`${group}:${member}`);
      const hash = this.hashes.get(hashKey) ?? new Map<string, string>();
      for (const name of names) if (!hash.has(name)) hash.set(name, JSON.stringify(fields[name]));
      hash.set(COMPLETE, '1');
      this.hashes.set(hashKey, hash);
      index.add(member);
    }
    if (groupComplete) index.add(COMPLETE);
    if (index.size > 0) this.indexes.set(this.key(group), index);
  }

  async readHash(group: string, member: string): Promise<StoredHash> {
    return storedHash(this.hashes.get(this.key(`${group}:${member}`)) ?? []);
  }

  async readHashGroup(group: string): Promise<{ members: Record<string, StoredHash>; complete: boolean }> {
    const index = this.indexes.get(this.key(group)) ?? new Set<string>();
    const members = [...index].filter((member) => member !== COMPLETE);
    return {
      members: Object.fromEntries(await Promise.all(members.map(async (member) => [member, await this.readHash(group, member)] as const))),
      complete: index.has(COMPLETE),
    };
  }

  async dropHash(group: string, member: string): Promise<void> {
    this.hashes.delete(this.key(`${group}:${member}`));
  }

  async ping(): Promise<void> {}

  rateLimitStore(): undefined {
    return undefined;
  }

  async close(): Promise<void> {
    this.lru.clear();
    this.hashes.clear();
    this.indexes.clear();
  }
}

/** SET key value EX ttl, only while key holds `expected`: 1 when stored, 0 otherwise. */
const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0`;

/**
 * writeHash. KEYS: the hash, the group's index. ARGV: member, maxFields (-1: no limits), maxMembers,
 * '1' to mark the hash complete, then field, JSON pairs. Answers {'ok', HGETALL} or {'fields', count, adding} / {'members', count}.
 * The "" field and member mark completeness and are not counted.
 */
const WRITE_HASH = `
local maxFields = tonumber(ARGV[2])
if maxFields >= 0 then
  local count = redis.call('HLEN', KEYS[1]) - redis.call('HEXISTS', KEYS[1], '')
  local adding = 0
  for i = 5, #ARGV, 2 do
    if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then adding = adding + 1 end
  end
  if count + adding > maxFields then return {'fields', count, adding} end
  if adding > 0 and redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then
    local members = redis.call('SCARD', KEYS[2]) - redis.call('SISMEMBER', KEYS[2], '')
    if members >= tonumber(ARGV[3]) then return {'members', members} end
  end
end
if #ARGV >= 6 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 5))
  if ARGV[4] == '1' then redis.call('HSET', KEYS[1], '', '1') end
  redis.call('SADD', KEYS[2], ARGV[1])
end
return {'ok', redis.call('HGETALL', KEYS[1])}`;

/** fillHashes, one member. KEYS: the hash, the group's index. ARGV: member, then field, JSON pairs. */
const FILL_HASH = `
for i = 2, #ARGV, 2 do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[1], '', '1')
redis.call('SADD', KEYS[2], ARGV[1])
return 1`;

/** HGETALL's flat [field, value, field, value, ...] as pairs. */
function pairs(flat: string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) result.push([flat[i]!, flat[i + 1]!]);
  return result;
}

class RedisCache extends BaseCache {
  readonly kind = 'redis';
  private lastLogged = 0;
  private suppressed = 0;
  /** setEventually writes Redis has not taken yet: JSON and expiry (epoch ms), by full key. */
  private readonly pending = new Map<string, { json: string; expiresAt: number }>();
  /** dropHash deletes Redis has not taken yet, by full key: read as absent until done. */
  private readonly pendingDrops = new Set<string>();
  /** Retries what is pending while any is: a command that timed out leaves the connection up, so no 'ready' comes. */
  private retry: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    namespace: string,
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly errorLogIntervalMs: number,
  ) {
    super(namespace);
    redis.on('error', (error) => this.failed('connection', error));
    redis.on('ready', () => void this.flushPending());
  }

  /** Tries the pending writes and deletes again in a second, and every second after until none is left. */
  private retryPending(): void {
    if (this.retry || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.redis.status === 'ready') void this.flushPending();
      else if (this.pending.size > 0 || this.pendingDrops.size > 0) this.retryPending();
    }, PENDING_RETRY_MS);
    this.retry.unref();
  }

  private pendingValue(fullKey: string): string | undefined {
    const entry = this.pending.get(fullKey);
    if (entry && entry.expiresAt <= Date.now()) this.pending.delete(fullKey);
    return entry && entry.expiresAt > Date.now() ? entry.json : undefined;
  }

  /** Writes what is pending, one at a time; on the first failure, tries again later. Never runs twice at once. */
  private flushPending(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => {
      this.flushing = undefined;
      if (this.pending.size > 0 || this.pendingDrops.size > 0) this.retryPending();
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    for (const fullKey of this.pendingDrops) {
      try {
        await this.settleDrop(fullKey);
      } catch {
        return;
      }
    }
    for (const [fullKey, { json, expiresAt }] of this.pending) {
      const ttlMs = expiresAt - Date.now();
      try {
        if (ttlMs > 0) await this.redis.set(fullKey, json, 'PX', ttlMs);
        // Unless a newer value was held for the key meanwhile.
        if (this.pending.get(fullKey)?.json === json) this.pending.delete(fullKey);
      } catch (error) {
        this.failed('set', error);
        return;
      }
    }
  }

  /** Logs at most one line per interval, with the count of failures left unlogged. */
  private failed(operation: string, error: unknown): void {
    const now = Date.now();
    if (now - this.lastLogged < this.errorLogIntervalMs) {
      this.suppressed++;
      return;
    }
    this.logger.warn(
      { operation, err: error instanceof Error ? error.message : String(error), suppressed: this.suppressed },
      'Redis unavailable; answering from the database',
    );
    this.lastLogged = now;
    this.suppressed = 0;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const pending = this.pending.size > 0 ? this.pendingValue(this.key(key)) : undefined;
    if (pending !== undefined) return JSON.parse(pending) as T;
    try {
      const json = await this.redis.get(this.key(key));
      return json === null ? undefined : (JSON.parse(json) as T);
    } catch (error) {
      this.failed('get', error);
      return undefined;
    }
  }

  async getMany(keys: string[]): Promise<unknown[]> {
    if (keys.length === 0) return [];
    const fullKeys = keys.map((key) => this.key(key));
    let values: (string | null | undefined)[];
    try {
      values = await this.redis.mget(...fullKeys);
    } catch (error) {
      this.failed('get', error);
      values = keys.map(() => undefined);
    }
    if (this.pending.size > 0) values = values.map((json, i) => this.pendingValue(fullKeys[i]!) ?? json);
    return values.map((json) => (json === null || json === undefined ? undefined : JSON.parse(json)));
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    if (ttlSeconds <= 0) return;
    try {
      await this.redis.set(this.key(key), JSON.stringify(value), 'EX', Math.ceil(ttlSeconds));
    } catch (error) {
      this.failed('set', error);
    }
  }

  async add(key: string, value: unknown, ttlSeconds: number): Promise<boolean> {
    if (ttlSeconds <= 0 || (this.pending.size > 0 && this.pendingValue(this.key(key)) !== undefined)) return false;
    try {
      return (await this.redis.set(this.key(key), JSON.stringify(value), 'EX', Math.ceil(ttlSeconds), 'NX')) === 'OK';
    } catch (error) {
      this.failed('set', error);
      return false;
    }
  }

  async replace(key: string, expected: unknown, value: unknown, ttlSeconds: number): Promise<boolean> {
    if (ttlSeconds <= 0 || (this.pending.size > 0 && this.pendingValue(this.key(key)) !== undefined)) return false;
    try {
      const stored = await this.redis.eval(COMPARE_AND_SET, 1, this.key(key), JSON.stringify(expected), JSON.stringify(value), Math.ceil(ttlSeconds));
      return stored === 1;
    } catch (error) {
      this.failed('set', error);
      return false;
    }
  }

  async setEventually(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    if (ttlSeconds <= 0) return;
    const fullKey = this.key(key);
    const json = JSON.stringify(value);
    try {
      await this.redis.set(fullKey, json, 'EX', Math.ceil(ttlSeconds));
      // What an earlier call could not write is superseded: a retry must not put it back over this.
      this.pending.delete(fullKey);
    } catch (error) {
      this.failed('set', error);
      this.pending.set(fullKey, { json, expiresAt: Date.now() + ttlSeconds * 1000 });
      this.retryPending();
    }
  }

  async delete(...keys: string[]): Promise<boolean> {
    if (keys.length === 0) return true;
    try {
      await this.redis.del(...keys.map((key) => this.key(key)));
      return true;
    } catch (error) {
      this.failed('delete', error);
      return false;
    }
  }

  /** Deletes a hash dropHash could not, before it is written or read again; throws while Redis is gone. */
  private async settleDrop(fullKey: string): Promise<void> {
    if (!this.pendingDrops.has(fullKey)) return;
    await this.kept('delete', () => this.redis.del(fullKey));
    this.pendingDrops.delete(fullKey);
  }

  async dropHash(group: string, member: string): Promise<void> {
    const fullKey = this.key(`${group}:${member}`);
    try {
      await this.redis.del(fullKey);
      this.pendingDrops.delete(fullKey);
    } catch (error) {
      this.failed('delete', error);
      this.pendingDrops.add(fullKey);
      this.retryPending();
    }
  }

  /** Runs a kept-data operation: a failure is logged (rate-limited) and thrown, never a miss. */
  private async kept<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.failed(operation, error);
      throw new CacheUnavailableError(error);
    }
  }

  async writeHash(group: string, member: string, fields: Record<string, unknown>, { limits, complete }: HashWriteOptions = {}): Promise<HashWriteResult> {
    const entries = Object.entries(fields);
    assertNames([member, ...entries.map(([name]) => name)], 'Member and field');
    await this.settleDrop(this.key(`${group}:${member}`));
    const reply = (await this.kept('write', () =>
      this.redis.eval(
        WRITE_HASH,
        2,
        this.key(`${group}:${member}`),
        this.key(group),
        member,
        limits ? limits.maxFields : -1,
        limits ? limits.maxMembers : -1,
        complete ? '1' : '0',
        ...entries.flatMap(([name, value]) => [name, JSON.stringify(value)]),
      ),
    )) as [string, ...unknown[]];
    if (reply[0] === 'fields') return { written: false, limit: 'fields', count: Number(reply[1]), adding: Number(reply[2]) };
    if (reply[0] === 'members') return { written: false, limit: 'members', count: Number(reply[1]) };
    return { written: true, ...storedHash(pairs(reply[1] as string[])) };
  }

  async fillHashes(group: string, members: Record<string, Record<string, unknown>>, groupComplete: boolean): Promise<void> {
    const filled = Object.entries(members).filter(([, fields]) => Object.keys(fields).length > 0);
    for (const [member, fields] of filled) assertNames([member, ...Object.keys(fields)], 'Member and field');
    if (filled.length === 0 && !groupComplete) return;
    for (const [member] of filled) await this.settleDrop(this.key(`${group}:${member}`));
    // One MULTI, so that the index is marked complete only after (and with) every member.
    const multi = this.redis.multi();
    for (const [member, fields] of filled) {
      multi.eval(
        FILL_HASH,
        2,
        this.key(`${group}:${member}`),
        this.key(group),
        member,
        ...Object.entries(fields).flatMap(([name, value]) => [name, JSON.stringify(value)]),
      );
    }
    if (groupComplete) multi.sadd(this.key(group), COMPLETE);
    const results = await this.kept('fill', () => multi.exec());
    const failure = results?.find(([error]) => error)?.[0];
    if (!results || failure) {
      this.failed('fill', failure ?? new Error('transaction aborted'));
      throw new CacheUnavailableError(failure ?? new Error('transaction aborted'));
    }
  }

  async readHash(group: string, member: string): Promise<StoredHash> {
    const fullKey = this.key(`${group}:${member}`);
    if (this.pendingDrops.has(fullKey)) return storedHash([]);
    const hash = await this.kept('read', () => this.redis.hgetall(fullKey));
    return storedHash(Object.entries(hash));
  }

  async readHashGroup(group: string): Promise<{ members: Record<string, StoredHash>; complete: boolean }> {
    const index = await this.kept('read', () => this.redis.smembers(this.key(group)));
    const members = index.filter((member) => member !== COMPLETE);
    const pipeline = this.redis.pipeline();
    for (const member of members) pipeline.hgetall(this.key(`${group}:${member}`));
    const results = members.length > 0 ? await this.kept('read', () => pipeline.exec()) : [];
    const failure = results?.find(([error]) => error)?.[0];
    if (!results || failure) {
      this.failed('read', failure ?? new Error('pipeline aborted'));
      throw new CacheUnavailableError(failure ?? new Error('pipeline aborted'));
    }
    return {
      members: Object.fromEntries(
        members.map((member, i) => [
          member,
          storedHash(this.pendingDrops.has(this.key(`${group}:${member}`)) ? [] : Object.entries(results[i]![1] as Record<string, string>)),
        ]),
      ),
      complete: index.includes(COMPLETE),
    };
  }

  get available(): boolean {
    return this.redis.status === 'ready';
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  rateLimitStore(name: string): Store {
    return new ResilientRedisStore(
      {
        sendCommand: (command: string, ...args: string[]) => this.redis.call(command, ...args) as Promise<RedisReply>,
        prefix: this.key(`rate:${name}:`),
      },
      (error) => this.failed('rate-limit', error),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}

/**
 * rate-limit-redis that keeps limiting while Redis is down: counts then go to an in-process store
 * (per instance, so looser, but never off), the cache logs the failure (rate-limited), and the
 * scripts rate-limit-redis loads once are loaded again, so that shared limits come back with Redis.
 */
class ResilientRedisStore extends RedisStore {
  private readonly fallback = new MemoryStore();

  constructor(
    options: ConstructorParameters<typeof RedisStore>[0],
    private readonly onError: (error: unknown) => void,
  ) {
    super(options);
  }

  override async init(options: Parameters<RedisStore['init']>[0]) {
    this.fallback.init(options);
    try {
      await super.init(options);
    } catch (error) {
      this.onError(error);
    }
  }

  override async increment(key: string) {
    try {
      return await super.increment(key);
    } catch (error) {
      this.onError(error);
      this.incrementScriptSha = this.loadIncrementScript();
      this.incrementScriptSha.catch(() => {});
      return this.fallback.increment(key);
    }
  }

  async shutdown() {
    this.fallback.shutdown();
  }
}

export async function createCache({
  redisUrl,
  logger,
  namespace = 'mreg',
  maxEntries = 50_000,
  errorLogIntervalMs = 10_000,
}: CacheOptions): Promise<Cache> {
  const log = logger.child({ component: 'cache' });
  if (redisUrl === undefined) return new MemoryCache(namespace, maxEntries);
  const redis = new Redis(redisUrl, REDIS_OPTIONS);
  const cache = new RedisCache(namespace, redis, log, errorLogIntervalMs);
  try {
    await redis.connect();
  } catch (error) {
    // Start anyway: requests fall back to the database and ioredis keeps reconnecting.
    log.warn({ err: (error as Error).message }, 'Redis did not answer at start; continuing without it until it does');
  }
  return cache;
}
