import type { Logger } from 'pino';
import type { Cache } from './cache';
import { MemoryCache } from './memory';
import { connectRedisCache } from './redis';

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

export async function createCache({ redisUrl, logger, namespace = 'mreg', maxEntries = 50_000, errorLogIntervalMs = 10_000 }: CacheOptions): Promise<Cache> {
  if (redisUrl === undefined) return new MemoryCache(namespace, maxEntries);
  return connectRedisCache({ redisUrl, namespace, logger: logger.child({ component: 'cache' }), errorLogIntervalMs });
}
