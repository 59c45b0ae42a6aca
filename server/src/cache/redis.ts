import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { withTimeout } from '../lib/timeout';
import type { Cache, CacheBackend } from './cache';
import { keepConnecting, sentinelOptions, type RedisSentinel } from './sentinel';

export type { RedisSentinel };

/** How often writes Redis did not take are tried again, while any is pending. */
export const PENDING_RETRY_MS = 1000;

/**
 * With Redis Sentinel, how long a write that must not be lost (setEventually) waits for a replica
 * to confirm it (WAIT 1): replication is asynchronous, and a write only the old primary had is gone
 * after a failover. Unconfirmed, the write stays pending in this process (answered from there) and
 * is written again every second, to whichever node is primary then, until a replica has it.
 */
export const REPLICA_WAIT_MS = 100;

/**
 * How long after Redis connected again (any reconnection, not the first connection) its values are
 * not believed (Cache.mayHaveLostWrites): read-through readers load from PostgreSQL, where every
 * revocation is committed, and never store over what they find. A reconnection may mean a failover,
 * and the promoted replica may still hold a session, API key or access token entry whose tombstone
 * only the old primary got: the process that revoked it keeps it pending and writes it again every
 * PENDING_RETRY_MS and at its own reconnection, which may come later than this one's (each process
 * asks the sentinels at most 500 ms apart, and a connection attempt up to a second). Five
 * seconds cover both with room for a loaded machine; the cost is that, for that long, every cached
 * read of this process is a database read.
 */
export const RECONNECT_DOUBT_MS = 5000;

/** How long start-up waits for Redis: with sentinels, ioredis asks them again without end while none answers. */
const START_WAIT_MS = 3000;

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

/** A write that must not be lost: full key, JSON, and expiry (epoch ms). */
interface DurableWrite {
  fullKey: string;
  json: string;
  expiresAt: number;
}

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
  /** The replicated writes asked for so far in this task, to be sent together with one WAIT. */
  private batch: { writes: DurableWrite[]; taken: Promise<boolean> } | undefined;
  private closed = false;
  /** Whether the command connection was ever ready: the first connection casts no doubt. */
  private everReady = false;
  /** Until when (epoch ms) values read are not believed (RECONNECT_DOUBT_MS). */
  private doubtUntil = 0;

  /**
   * `replicated`, with Redis Sentinel: a connection of its own for the writes that must not be lost,
   * since WAIT holds up the connection it is sent on (up to REPLICA_WAIT_MS while no replica answers).
   */
  constructor(
    private readonly namespace: string,
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly errorLogIntervalMs: number,
    private readonly replicated?: Redis,
  ) {
    this.backend = { kind: 'redis', client: redis, key: (key) => this.key(key), failed: (operation, error) => this.failed(operation, error) };
    for (const client of [redis, replicated]) {
      client?.on('error', (error) => this.failed('connection', error));
      client?.on('ready', () => void this.flushPending());
    }
    redis.on('ready', () => {
      if (this.everReady) this.doubtUntil = Date.now() + RECONNECT_DOUBT_MS;
      this.everReady = true;
    });
  }

  get mayHaveLostWrites(): boolean {
    return Date.now() < this.doubtUntil;
  }

  /** The connection setEventually writes on. */
  private get writer(): Redis {
    return this.replicated ?? this.redis;
  }

  private key(key: string): string {
    return `${this.namespace}:${key}`;
  }

  /** Tries the pending writes again in a second, and every second after until none is left. */
  private retryPending(): void {
    if (this.retry || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.writer.status === 'ready') void this.flushPending();
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
    const writes = [...this.pending].map(([fullKey, { json, expiresAt }]) => ({ fullKey, json, expiresAt }));
    if (!(await this.writeDurably(writes))) return;
    // Unless a newer value was held for the key meanwhile.
    for (const { fullKey, json } of writes) if (this.pending.get(fullKey)?.json === json) this.pending.delete(fullKey);
  }

  /**
   * Writes that must not be lost (those past their expiry are dropped); true once Redis took them
   * all, and with Sentinel once a replica has them too. A failure is logged.
   */
  private async writeDurably(writes: DurableWrite[]): Promise<boolean> {
    const now = Date.now();
    const live = writes.filter((write) => write.expiresAt > now);
    if (live.length === 0) return true;
    if (this.replicated) return this.writeReplicated(live);
    try {
      await Promise.all(live.map(({ fullKey, json, expiresAt }) => this.redis.set(fullKey, json, 'PX', expiresAt - now)));
      return true;
    } catch (error) {
      this.failed('set', error);
      return false;
    }
  }

  /**
   * Joins the batch of the writes asked for until the current task ends (a bury of many keys, say):
   * they leave together, followed by one WAIT, rather than one WAIT each.
   */
  private writeReplicated(writes: DurableWrite[]): Promise<boolean> {
    if (!this.batch) {
      const batched: DurableWrite[] = [];
      const taken = Promise.resolve().then(() => {
        this.batch = undefined;
        return this.sendReplicated(batched);
      });
      this.batch = { writes: batched, taken };
    }
    this.batch.writes.push(...writes);
    return this.batch.taken;
  }

  /** SET each, then WAIT 1 on the same connection: WAIT counts the replicas that have everything sent on it before. */
  private async sendReplicated(writes: DurableWrite[]): Promise<boolean> {
    const client = this.replicated!;
    const now = Date.now();
    // Auto-pipelining sends them in one write, in this order.
    const sets = writes.map(({ fullKey, json, expiresAt }) => client.set(fullKey, json, 'PX', Math.max(1, expiresAt - now)));
    const confirmed = client.wait(1, REPLICA_WAIT_MS);
    try {
      const [replicas] = await Promise.all([confirmed, ...sets]);
      if (replicas >= 1) return true;
      this.failed('replicate', new Error(`no replica confirmed the write within ${REPLICA_WAIT_MS} ms; kept in this process and written again every second`));
      return false;
    } catch (error) {
      this.failed('set', error);
      return false;
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
    const write = { fullKey: this.key(key), json: JSON.stringify(value), expiresAt: Date.now() + Math.ceil(ttlSeconds) * 1000 };
    if (await this.writeDurably([write])) {
      // What an earlier call could not write is superseded: a retry must not put it back over this.
      this.pending.delete(write.fullKey);
    } else {
      this.pending.set(write.fullKey, { json: write.json, expiresAt: write.expiresAt });
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
    await Promise.all(
      [this.redis, this.replicated].map(async (client) => {
        try {
          await client?.quit();
        } catch {
          client?.disconnect();
        }
      }),
    );
  }
}

/** SET key value EX ttl, only while key holds `expected`: 1 when stored, 0 otherwise. */
const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0`;

export interface RedisCacheOptions {
  /** The Redis; with `sentinel`, only its user, password, database and TLS count. */
  redisUrl?: string;
  sentinel?: RedisSentinel;
  namespace: string;
  logger: Logger;
  errorLogIntervalMs: number;
}

export async function connectRedisCache(options: RedisCacheOptions): Promise<Cache> {
  const { redisUrl, sentinel } = options;
  let redis: Redis;
  if (sentinel) {
    const sentinelled = sentinelOptions(sentinel, redisUrl?.startsWith('rediss:') ?? false, REDIS_OPTIONS);
    redis = keepConnecting(redisUrl ? new Redis(redisUrl, sentinelled) : new Redis(sentinelled));
  } else if (redisUrl) {
    redis = new Redis(redisUrl, REDIS_OPTIONS);
  } else {
    throw new Error('connectRedisCache needs a Redis URL or sentinels');
  }
  const replicated = sentinel ? redis.duplicate() : undefined;
  const cache = new RedisCache(options.namespace, redis, options.logger, options.errorLogIntervalMs, replicated);
  const connecting = Promise.all([redis.connect(), replicated?.connect()]);
  connecting.catch(() => {});
  try {
    await withTimeout(connecting, START_WAIT_MS, 'Redis');
  } catch (error) {
    // Start anyway: requests fall back to the database and ioredis keeps reconnecting.
    options.logger.warn({ err: (error as Error).message }, 'Redis did not answer at start; continuing without it until it does');
  }
  return cache;
}
