import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Cache, CacheBackend } from './cache';

/** How often writes Redis did not take are tried again, while any is pending. */
export const PENDING_RETRY_MS = 1000;

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

/** The Redis cache: every failure is logged (rate-limited) and answered as a miss. */
class RedisCache implements Cache {
  readonly kind = 'redis';
  readonly backend: CacheBackend;
  private lastLogged = 0;
  private suppressed = 0;
  /** setEventually writes Redis has not taken yet: JSON and expiry (epoch ms), by full key. */
  private readonly pending = new Map<string, { json: string; expiresAt: number }>();
  /** Retries what is pending while any is: a command that timed out leaves the connection up, so no 'ready' comes. */
  private retry: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly namespace: string,
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly errorLogIntervalMs: number,
  ) {
    this.backend = { kind: 'redis', client: redis, key: (key) => this.key(key), failed: (operation, error) => this.failed(operation, error) };
    redis.on('error', (error) => this.failed('connection', error));
    redis.on('ready', () => void this.flushPending());
  }

  private key(key: string): string {
    return `${this.namespace}:${key}`;
  }

  /** Tries the pending writes again in a second, and every second after until none is left. */
  private retryPending(): void {
    if (this.retry || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.redis.status === 'ready') void this.flushPending();
      else if (this.pending.size > 0) this.retryPending();
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
      if (this.pending.size > 0) this.retryPending();
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
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

  async delete(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.redis.del(...keys.map((key) => this.key(key)));
    } catch (error) {
      this.failed('delete', error);
    }
  }

  get available(): boolean {
    return this.redis.status === 'ready';
  }

  async ping(): Promise<void> {
    await this.redis.ping();
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

/** SET key value EX ttl, only while key holds `expected`: 1 when stored, 0 otherwise. */
const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0`;

export async function connectRedisCache(options: { redisUrl: string; namespace: string; logger: Logger; errorLogIntervalMs: number }): Promise<Cache> {
  const redis = new Redis(options.redisUrl, REDIS_OPTIONS);
  const cache = new RedisCache(options.namespace, redis, options.logger, options.errorLogIntervalMs);
  try {
    await redis.connect();
  } catch (error) {
    // Start anyway: requests fall back to the database and ioredis keeps reconnecting.
    options.logger.warn({ err: (error as Error).message }, 'Redis did not answer at start; continuing without it until it does');
  }
  return cache;
}
