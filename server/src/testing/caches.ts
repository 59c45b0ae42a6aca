import { afterEach } from 'vitest';
import type { Cache } from '../cache/cache';
import { createCache } from '../cache/create';
import { captureLogger, testRedisUrl, uniqueName } from './harness';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

/** The backends a cache contract runs on: the in-process cache, and Redis when the run has one. */
export const cacheBackends: [string, string | undefined][] = [['in-process', undefined], ...(testRedisUrl ? [['redis', testRedisUrl] as [string, string]] : [])];

/**
 * Caches and proxies for a test file, closed after each test: `cacheOn(undefined)` is the in-process
 * cache (not testCache, whose default would turn undefined into the test Redis).
 */
export function testCaches() {
  const open: Cache[] = [];
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((cache) => cache.close()));
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });
  return {
    async cacheOn(redisUrl: string | undefined, logger = captureLogger().logger, namespace = uniqueName(), maxEntries?: number): Promise<Cache> {
      const cache = await createCache({ redisUrl, logger, namespace, maxEntries });
      open.push(cache);
      return cache;
    },
    /** A proxy in front of Redis at `redisUrl`, to cut and restore. */
    async proxyTo(redisUrl: string): Promise<TcpProxy> {
      const real = new URL(redisUrl);
      const proxy = await startTcpProxy(real.hostname, Number(real.port || 6379));
      proxies.push(proxy);
      return proxy;
    },
  };
}
