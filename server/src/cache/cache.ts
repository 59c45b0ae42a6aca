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

/** Fail fast (STACK.md): a dead or hung Redis costs at most a few hundred milliseconds per command. */
export const REDIS_OPTIONS = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  commandTimeout: 300,
  retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
} as const;

abstract class BaseCache implements Cache {
  abstract readonly kind: 'redis' | 'memory';
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
  private readonly lru: LRUCache<string, { json: string }>;

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
    for (const key of keys) this.lru.delete(this.key(key));
    return true;
  }

  async ping(): Promise<void> {}

  rateLimitStore(): undefined {
    return undefined;
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}

/** SET key value EX ttl, only while key holds `expected`: 1 when stored, 0 otherwise. */
const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0`;

class RedisCache extends BaseCache {
  readonly kind = 'redis';
  private lastLogged = 0;
  private suppressed = 0;
  /** setEventually writes Redis has not taken yet: JSON and expiry (epoch ms), by full key. */
  private readonly pending = new Map<string, { json: string; expiresAt: number }>();

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

  private pendingValue(fullKey: string): string | undefined {
    const entry = this.pending.get(fullKey);
    if (entry && entry.expiresAt <= Date.now()) this.pending.delete(fullKey);
    return entry && entry.expiresAt > Date.now() ? entry.json : undefined;
  }

  private async flushPending(): Promise<void> {
    for (const [fullKey, { json, expiresAt }] of this.pending) {
      const ttlMs = expiresAt - Date.now();
      try {
        if (ttlMs > 0) await this.redis.set(fullKey, json, 'PX', ttlMs);
        this.pending.delete(fullKey);
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
    } catch (error) {
      this.failed('set', error);
      this.pending.set(fullKey, { json, expiresAt: Date.now() + ttlSeconds * 1000 });
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
