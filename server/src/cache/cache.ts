import type { Redis } from 'ioredis';

/**
 * The one cache of the app: Redis when MREG_REDIS_URL is set, an in-process LRU otherwise. Keys are
 * namespaced (`mreg:<area>:<id>`); values are JSON. A Redis failure is logged and answers as a miss:
 * callers always have the database to fall back to. Policy lives on top, once: read-through with
 * stale markers and tombstones in read-through.ts, rate-limit counters in rate-limit.ts.
 */
export interface Cache {
  readonly kind: 'redis' | 'memory';
  /** Whether the backing store is connected now (for metrics): Redis ready, or always for memory. */
  readonly available: boolean;
  /**
   * True for a few seconds after Redis connected again (redis.ts RECONNECT_DOUBT_MS): the node it
   * answers from now (a promoted replica) may lack writes other processes made on the old one, a
   * tombstone among them, which they are still writing again. Read-through values (cache/read-through.ts
   * slotIn) are then loaded from the database; tombstones and markers found still count, and data
   * that lives only in the cache (gateway session records) is read as usual. Always false in memory.
   */
  readonly mayHaveLostWrites: boolean;
  /** What stores needing more than key-value (rate limits, kept hashes) build on. */
  readonly backend: CacheBackend;
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
  delete(...keys: string[]): Promise<void>;
  /** Throws when the backing store does not answer (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type CacheBackend =
  | {
      kind: 'memory';
      /** Data that must never be evicted, by namespaced key; `delete` removes it too, as Redis's DEL would. */
      kept: Map<string, unknown>;
      key(key: string): string;
    }
  | {
      kind: 'redis';
      client: Redis;
      key(key: string): string;
      /** Logs a failure, at most one line per interval (with the count left unlogged). */
      failed(operation: string, error: unknown): void;
    };
