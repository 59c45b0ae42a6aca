import { describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { bury, invalidate, readThrough, slotIn, slotOf } from './read-through';
import { RECONNECT_DOUBT_MS } from './redis';
import { captureLogger, uniqueName } from '../testing/harness';
import { cacheBackends, testCaches } from '../testing/caches';
import { freePort } from '../testing/processes';
import { startThrowawayRedis } from '../testing/throwaway-redis';

const backends = cacheBackends;
const { cacheOn, proxyTo } = testCaches();

describe.each(backends)('cache (%s)', (_name, redisUrl) => {
  it('stores JSON values and hands back copies', async () => {
    const cache = await cacheOn(redisUrl);
    const value = { user: 'ada', roles: ['admin'], n: 1 };
    await cache.set('session:abc', value, 60);
    const got = await cache.get<typeof value>('session:abc');
    expect(got).toEqual(value);
    got!.roles.push('changed');
    expect(await cache.get('session:abc')).toEqual(value);
    expect(await cache.get('session:missing')).toBeUndefined();
  });

  it('deletes one or several keys', async () => {
    const cache = await cacheOn(redisUrl);
    await cache.set('a', 1, 60);
    await cache.set('b', 2, 60);
    await cache.set('c', 3, 60);
    await cache.delete('a', 'b');
    expect([await cache.get('a'), await cache.get('b'), await cache.get('c')]).toEqual([undefined, undefined, 3]);
    await cache.delete();
  });

  it('forgets a value after its TTL', async () => {
    const cache = await cacheOn(redisUrl);
    await cache.set('short', 'v', 1);
    expect(await cache.get('short')).toBe('v');
    await new Promise((r) => setTimeout(r, 1200));
    expect(await cache.get('short')).toBeUndefined();
  });

  it('readThrough loads once, loads again after invalidate, and never stores over a tombstone', async () => {
    const cache = await cacheOn(redisUrl);
    const loader = vi.fn(async () => ({ id: 7 }));
    expect(await readThrough(cache, 'k', 60, loader)).toEqual({ id: 7 });
    expect(await readThrough(cache, 'k', 60, loader)).toEqual({ id: 7 });
    expect(loader).toHaveBeenCalledTimes(1);
    await invalidate(cache, ['k'], 60);
    expect(await readThrough(cache, 'k', 60, async () => ({ id: 8 }))).toEqual({ id: 8 });
    expect(await cache.get('k')).toEqual({ id: 8 });
    await bury(cache, ['k'], 60);
    expect(await readThrough(cache, 'k', 60, async () => ({ id: 9 }))).toEqual({ id: 9 });
    expect(slotOf(await cache.get('k'))).toEqual({ kind: 'dead' });
  });

  it('reads several keys at once, missing ones as undefined', async () => {
    const cache = await cacheOn(redisUrl);
    await cache.set('m1', { a: 1 }, 60);
    await cache.set('m3', 'three', 60);
    expect(await cache.getMany(['m1', 'm2', 'm3'])).toEqual([{ a: 1 }, undefined, 'three']);
    expect(await cache.getMany([])).toEqual([]);
  });

  it('add stores only where nothing is stored', async () => {
    const cache = await cacheOn(redisUrl);
    expect(await cache.add('once', 'first', 60)).toBe(true);
    expect(await cache.add('once', 'second', 60)).toBe(false);
    expect(await cache.get('once')).toBe('first');
    expect(await cache.add('never', 'x', 0)).toBe(false);
    expect(await cache.get('never')).toBeUndefined();
  });

  it('replace stores only over the value expected', async () => {
    const cache = await cacheOn(redisUrl);
    await cache.set('cas', { stale: 'a' }, 60);
    expect(await cache.replace('cas', { stale: 'b' }, 'wrong', 60)).toBe(false);
    expect(await cache.get('cas')).toEqual({ stale: 'a' });
    expect(await cache.replace('cas', { stale: 'a' }, 'right', 60)).toBe(true);
    expect(await cache.get('cas')).toBe('right');
    expect(await cache.replace('absent', 'something', 'x', 60)).toBe(false);
    expect(await cache.get('absent')).toBeUndefined();
  });

  it('keeps namespaces apart', async () => {
    const one = await cacheOn(redisUrl);
    const two = await cacheOn(redisUrl);
    await one.set('shared-name', 'one', 60);
    expect(await two.get('shared-name')).toBeUndefined();
  });
});

describe('cache fallback when Redis is unreachable', () => {
  it('answers misses quickly, never throws, and logs once per interval', async () => {
    // A port that was just free: nothing listens there.
    const port = await freePort();
    const { logger, lines } = captureLogger();
    const started = performance.now();
    const cache = await cacheOn(`redis://127.0.0.1:${port}`, logger);
    expect(cache.kind).toBe('redis');
    expect(await cache.get('x')).toBeUndefined();
    await cache.set('x', 1, 60);
    expect(await cache.add('x', 1, 60)).toBe(false);
    await cache.setEventually('dead', { revoked: true }, 60);
    expect(await cache.get('dead')).toEqual({ revoked: true });
    expect(await cache.getMany(['x', 'y'])).toEqual([undefined, undefined]);
    await expect(cache.delete('x')).resolves.toBeUndefined();
    const loader = vi.fn(async () => ({ from: 'database' }));
    expect(await readThrough(cache, 'x', 60, loader)).toEqual({ from: 'database' });
    expect(await readThrough(cache, 'x', 60, loader)).toEqual({ from: 'database' });
    expect(loader).toHaveBeenCalledTimes(2);
    await expect(cache.ping()).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(3000);
    const warnings = lines.filter((l) => l.includes('Redis unavailable'));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(2);
  });
});

describe.each(backends.filter(([name]) => name === 'redis'))('cache (%s) losing its server', (_name, redisUrl) => {
  it('falls back to misses while Redis is gone and hits again once it is back', async () => {
    const proxy = await proxyTo(redisUrl!);
    const cache = await cacheOn(`redis://127.0.0.1:${proxy.port}`);
    await cache.set('k', 'v', 60);
    expect(await cache.get('k')).toBe('v');

    proxy.cut();
    const started = performance.now();
    expect(await cache.get('k')).toBeUndefined();
    await expect(cache.set('k2', 'v2', 60)).resolves.toBeUndefined();
    expect(performance.now() - started).toBeLessThan(2000);

    proxy.restore();
    await vi.waitFor(async () => expect(await cache.get('k')).toBe('v'), { timeout: 5000, interval: 100 });
    await cache.ping();
  });

  it('keeps a setEventually write while Redis is gone, answers it, and writes it once Redis is back', async () => {
    const proxy = await proxyTo(redisUrl!);
    const namespace = uniqueName();
    const cache = await cacheOn(`redis://127.0.0.1:${proxy.port}`, undefined, namespace);
    await cache.set('gone', 'alive', 60);

    proxy.cut();
    await cache.setEventually('gone', { revoked: true }, 60);
    expect(await cache.get('gone')).toEqual({ revoked: true });
    expect(await cache.getMany(['gone', 'other'])).toEqual([{ revoked: true }, undefined]);
    expect(await cache.add('gone', 'rebuilt', 60)).toBe(false);
    expect(await cache.replace('gone', { revoked: true }, 'rebuilt', 60)).toBe(false);

    proxy.restore();
    // Another client of the same Redis sees it once this one has reconnected and written it.
    const direct = await cacheOn(redisUrl, undefined, namespace);
    await vi.waitFor(async () => expect(await direct.get('gone')).toEqual({ revoked: true }), { timeout: 5000, interval: 100 });
  });

});

describe('cache (redis) refusing writes on a connection that stays up (own redis-server)', () => {
  it('writes a setEventually write Redis refused (out of memory) once Redis takes writes again, without a reconnection', async () => {
    const redis = await startThrowawayRedis();
    const admin = new Redis(redis.url);
    try {
      const namespace = uniqueName();
      const cache = await cacheOn(redis.url, undefined, namespace);
      const direct = await cacheOn(redis.url, undefined, namespace);
      await cache.set('full', 'alive', 60);

      // Out of memory: every write is refused with an error, and the connection stays ready.
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1');
      await cache.setEventually('full', { stale: 'marker' }, 60);
      expect(await cache.get('full')).toEqual({ stale: 'marker' });
      expect(await direct.get('full')).toBe('alive');

      await admin.config('SET', 'maxmemory', '0');
      await vi.waitFor(async () => expect(await direct.get('full')).toEqual({ stale: 'marker' }), { timeout: 5000, interval: 100 });

      // A later write that went through is not undone by the retry of an older one.
      await admin.config('SET', 'maxmemory', '1');
      await cache.setEventually('full', { stale: 'older' }, 60);
      await admin.config('SET', 'maxmemory', '0');
      await cache.setEventually('full', { stale: 'newer' }, 60);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(await direct.get('full')).toEqual({ stale: 'newer' });
    } finally {
      admin.disconnect();
      await redis.kill();
    }
  });
});

describe('cache (redis) connecting again (own redis-server)', () => {
  it('reads values as misses for RECONNECT_DOUBT_MS after a reconnection, stores nothing over them, and honours tombstones', { timeout: 20_000 }, async () => {
    const redis = await startThrowawayRedis();
    try {
      const proxy = await proxyTo(redis.url);
      const namespace = uniqueName();
      const cache = await cacheOn(`redis://127.0.0.1:${proxy.port}`, undefined, namespace);
      const other = await cacheOn(redis.url, undefined, namespace);
      expect(await readThrough(cache, 'entry', 60, async () => ({ v: 'old' }))).toEqual({ v: 'old' });
      await cache.set('record', { only: 'in redis' }, 60);
      // The first connection casts no doubt.
      expect(cache.mayHaveLostWrites).toBe(false);

      proxy.cut();
      await vi.waitFor(() => expect(cache.available).toBe(false), { timeout: 5000, interval: 20 });
      proxy.restore();
      await vi.waitFor(() => expect(cache.available).toBe(true), { timeout: 5000, interval: 20 });
      const backAt = Date.now();
      expect(cache.mayHaveLostWrites).toBe(true);
      // Read through the database, and the value there kept (an SET NX it refuses), not overwritten.
      expect(await readThrough(cache, 'entry', 60, async () => ({ v: 'from the database' }))).toEqual({ v: 'from the database' });
      expect(await other.get('entry')).toEqual({ v: 'old' });
      // Data that lives only in Redis is read as usual.
      expect(await cache.get('record')).toEqual({ only: 'in redis' });
      // Another instance's tombstone lands: refused from then on.
      await bury(other, ['entry'], 60);
      expect(slotIn(cache, await cache.get('entry'))).toEqual({ kind: 'dead' });
      await other.set('entry', { v: 'old' }, 60);

      await vi.waitFor(() => expect(cache.mayHaveLostWrites).toBe(false), { timeout: RECONNECT_DOUBT_MS + 2000, interval: 50 });
      expect(Date.now() - backAt).toBeGreaterThanOrEqual(RECONNECT_DOUBT_MS - 100);
      expect(await readThrough(cache, 'entry', 60, async () => ({ v: 'from the database' }))).toEqual({ v: 'old' });
    } finally {
      await redis.kill();
    }
  });
});
