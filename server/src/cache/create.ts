import type { Logger } from 'pino';
import type { Cache } from './cache';
import { MemoryCache } from './memory';
import { connectRedisCache, type RedisSentinel } from './redis';

export interface CacheOptions {
  redisUrl: string | undefined;
  /** Redis Sentinel; `redisUrl` then gives only the data nodes' user, password, database and TLS. */
  sentinel?: RedisSentinel;
  logger: Logger;
  /** Key namespace; `mreg` in the app, a unique one per test file. */
  namespace?: string;
  /** Entries kept by the in-process cache. */
  maxEntries?: number;
  /** Least time between two logged Redis failures. */
  errorLogIntervalMs?: number;
}

export async function createCache({ redisUrl, sentinel, logger, namespace = 'mreg', maxEntries = 50_000, errorLogIntervalMs = 10_000 }: CacheOptions): Promise<Cache> {
  if (redisUrl === undefined && sentinel === undefined) return new MemoryCache(namespace, maxEntries);
  return connectRedisCache({ redisUrl, sentinel, namespace, logger: logger.child({ component: 'cache' }), errorLogIntervalMs });
}
