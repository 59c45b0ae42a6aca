import { afterEach, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { CacheUnavailableError, createCache, type Cache } from './cache';
import { captureLogger, testRedisUrl, uniqueName } from '../testing/harness';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy';
import { freePort } from '../testing/processes';
import { startThrowawayRedis } from '../testing/throwaway-redis';

const backends: [string, string | undefined][] = [['in-process', undefined]];
if (testRedisUrl) backends.push(['redis', testRedisUrl]);

const open: Cache[] = [];
const proxies: TcpProxy[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function cacheOn(redisUrl: string | undefined, logger = captureLogger().logger, namespace = uniqueName()) {
  // Not testCache: its default would turn the in-process backend's undefined into the test Redis.
  const cache = await createCache({ redisUrl, logger, namespace });
  open.push(cache);
  return cache;
}

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
    expect(await cache.delete('a', 'b')).toBe(true);
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

  it('getOrSet loads once, then answers from the cache', async () => {
    const cache = await cacheOn(redisUrl);
    const loader = vi.fn(async () => ({ id: 7 }));
    expect(await cache.getOrSet('k', 60, loader)).toEqual({ id: 7 });
    expect(await cache.getOrSet('k', 60, loader)).toEqual({ id: 7 });
    expect(loader).toHaveBeenCalledTimes(1);
    const nothing = vi.fn(async () => undefined);
    await cache.getOrSet('none', 60, nothing);
    await cache.getOrSet('none', 60, nothing);
    expect(nothing).toHaveBeenCalledTimes(2);
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
    expect(await cache.delete('x')).toBe(false);
    const loader = vi.fn(async () => 'from-database');
    expect(await cache.getOrSet('x', 60, loader)).toBe('from-database');
    expect(await cache.getOrSet('x', 60, loader)).toBe('from-database');
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
    const real = new URL(redisUrl!);
    const proxy = await startTcpProxy(real.hostname, Number(real.port || 6379));
    proxies.push(proxy);
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
    const real = new URL(redisUrl!);
    const proxy = await startTcpProxy(real.hostname, Number(real.port || 6379));
    proxies.push(proxy);
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

  it('a hash dropped while Redis is gone reads as absent here, and is deleted once Redis is back', async () => {
    const real = new URL(redisUrl!);
    const proxy = await startTcpProxy(real.hostname, Number(real.port || 6379));
    proxies.push(proxy);
    const namespace = uniqueName();
    const cache = await cacheOn(`redis://127.0.0.1:${proxy.port}`, undefined, namespace);
    await cache.writeHash('prefs:u', 'ui', { theme: 'dark' }, { complete: true });

    proxy.cut();
    await expect(cache.dropHash('prefs:u', 'ui')).resolves.toBeUndefined();
    proxy.restore();
    const direct = await cacheOn(redisUrl, undefined, namespace);
    // Until this client has deleted it, it does not read the stale copy it could not delete.
    expect(await cache.readHash('prefs:u', 'ui')).toEqual({ fields: {}, complete: false });
    await vi.waitFor(async () => expect(await direct.readHash('prefs:u', 'ui')).toEqual({ fields: {}, complete: false }), { timeout: 5000, interval: 100 });
    expect((await cache.readHashGroup('prefs:u')).members.ui).toEqual({ fields: {}, complete: false });
    // Written again after the outage: the new copy is read, not dropped.
    await cache.writeHash('prefs:u', 'ui', { theme: 'light' }, { complete: true });
    expect(await direct.readHash('prefs:u', 'ui')).toEqual({ fields: { theme: 'light' }, complete: true });
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

describe.each(backends)('cache (%s): kept hashes', (_name, redisUrl) => {
  const limits = { limits: { maxFields: 3, maxMembers: 2 } };

  it('writes fields into a member hash, lists the member, and answers the hash after the write', async () => {
    const cache = await cacheOn(redisUrl);
    expect(await cache.readHash('g', 'ui')).toEqual({ fields: {}, complete: false });
    expect(await cache.writeHash('g', 'ui', { theme: 'dark', size: { n: 12 } })).toEqual({ written: true, fields: { theme: 'dark', size: { n: 12 } }, complete: false });
    expect(await cache.writeHash('g', 'ui', { theme: null })).toEqual({ written: true, fields: { theme: null, size: { n: 12 } }, complete: false });
    const read = await cache.readHash('g', 'ui');
    expect(read).toEqual({ fields: { theme: null, size: { n: 12 } }, complete: false });
    (read.fields.size as { n: number }).n = 99;
    expect((await cache.readHash('g', 'ui')).fields.size).toEqual({ n: 12 });
    expect(await cache.readHashGroup('g')).toEqual({ members: { ui: { fields: { theme: null, size: { n: 12 } }, complete: false } }, complete: false });
    expect(await cache.readHashGroup('other')).toEqual({ members: {}, complete: false });
    // Nothing to write lists nothing.
    expect(await cache.writeHash('g', 'empty', {})).toEqual({ written: true, fields: {}, complete: false });
    await cache.writeHash('h', 'dropped', { a: 1 }, { complete: true });
    await cache.dropHash('h', 'dropped');
    expect(await cache.readHash('h', 'dropped')).toEqual({ fields: {}, complete: false });
    expect(Object.keys((await cache.readHashGroup('g')).members)).toEqual(['ui']);
    await expect(cache.writeHash('g', 'ui', { '': 1 })).rejects.toThrow(/must not be empty/);
    // A writer that wrote everything marks the hash complete; later writes keep it so.
    expect(await cache.writeHash('g', 'ui', { theme: 'light', size: 1 }, { complete: true })).toEqual({ written: true, fields: { theme: 'light', size: 1 }, complete: true });
    expect(await cache.writeHash('g', 'ui', { size: 2 })).toEqual({ written: true, fields: { theme: 'light', size: 2 }, complete: true });
  });

  it('refuses a write past the field or member limit and writes none of it', async () => {
    const cache = await cacheOn(redisUrl);
    expect(await cache.writeHash('g', 'a', { x: 1, y: 2 }, limits)).toMatchObject({ written: true });
    expect(await cache.writeHash('g', 'a', { y: 20, z: 3, w: 4 }, limits)).toEqual({ written: false, limit: 'fields', count: 2, adding: 2 });
    expect((await cache.readHash('g', 'a')).fields).toEqual({ x: 1, y: 2 });
    // Keys already there are not added: rewriting all three at the limit is fine.
    expect(await cache.writeHash('g', 'a', { x: 10, y: 20, z: 30 }, limits)).toEqual({ written: true, fields: { x: 10, y: 20, z: 30 }, complete: false });
    expect(await cache.writeHash('g', 'b', { x: 1 }, limits)).toMatchObject({ written: true });
    expect(await cache.writeHash('g', 'c', { x: 1 }, limits)).toEqual({ written: false, limit: 'members', count: 2 });
    expect(await cache.readHash('g', 'c')).toEqual({ fields: {}, complete: false });
    // The completeness markers count as neither field nor member.
    await cache.fillHashes('g', { a: { x: 0 } }, true);
    expect(await cache.writeHash('g', 'a', { x: 11 }, limits)).toEqual({ written: true, fields: { x: 11, y: 20, z: 30 }, complete: true });
    expect(await cache.writeHash('g', 'b', { y: 2, z: 3 }, limits)).toMatchObject({ written: true });
    expect(await cache.writeHash('g', 'c', { x: 1 }, limits)).toEqual({ written: false, limit: 'members', count: 2 });
  });

  it('fills only the fields a hash lacks, then marks hash and index complete', async () => {
    const cache = await cacheOn(redisUrl);
    await cache.writeHash('g', 'ui', { theme: 'newer' });
    await cache.fillHashes('g', { ui: { theme: 'older', size: 12 }, editor: { tabs: 2 }, none: {} }, false);
    expect(await cache.readHashGroup('g')).toEqual({
      members: { ui: { fields: { theme: 'newer', size: 12 }, complete: true }, editor: { fields: { tabs: 2 }, complete: true } },
      complete: false,
    });
    await cache.fillHashes('g', {}, true);
    expect((await cache.readHashGroup('g')).complete).toBe(true);
    // A deleted hash is gone whole, and its index entry says so.
    await cache.delete('g:ui');
    expect(await cache.readHash('g', 'ui')).toEqual({ fields: {}, complete: false });
    expect((await cache.readHashGroup('g')).members.ui).toEqual({ fields: {}, complete: false });
  });

  it('never goes past the limits under concurrent writers', async () => {
    const cache = await cacheOn(redisUrl);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => cache.writeHash('g', `m${i % 4}`, { [`f${i}`]: i }, { limits: { maxFields: 5, maxMembers: 3 } })),
    );
    const group = await cache.readHashGroup('g');
    expect(Object.keys(group.members)).toHaveLength(3);
    for (const hash of Object.values(group.members)) expect(Object.keys(hash.fields)).toHaveLength(5);
    expect(results.filter((r) => r.written)).toHaveLength(15);
  });

  it('keeps hashes in its own namespace', async () => {
    const one = await cacheOn(redisUrl);
    const two = await cacheOn(redisUrl);
    await one.writeHash('g', 'ui', { a: 1 });
    expect(await two.readHashGroup('g')).toEqual({ members: {}, complete: false });
  });
});

describe('in-process cache', () => {
  it('never evicts kept hashes, however many other entries come', async () => {
    const cache = await createCache({ redisUrl: undefined, logger: captureLogger().logger, namespace: uniqueName(), maxEntries: 10 });
    open.push(cache);
    await cache.writeHash('g', 'ui', { theme: 'dark' });
    for (let i = 0; i < 100; i++) await cache.set(`filler:${i}`, i, 60);
    expect(await cache.get('filler:0')).toBeUndefined();
    expect((await cache.readHash('g', 'ui')).fields).toEqual({ theme: 'dark' });
    expect(Object.keys((await cache.readHashGroup('g')).members)).toEqual(['ui']);
  });
});

describe('kept hashes when Redis is unreachable', () => {
  it('throw CacheUnavailableError quickly instead of answering a miss', async () => {
    const port = await freePort();
    const cache = await cacheOn(`redis://127.0.0.1:${port}`);
    const started = performance.now();
    await expect(cache.writeHash('g', 'ui', { a: 1 })).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(cache.writeHash('g', 'ui', { a: 1 }, { limits: { maxFields: 1, maxMembers: 1 } })).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(cache.fillHashes('g', { ui: { a: 1 } }, true)).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(cache.readHash('g', 'ui')).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(cache.readHashGroup('g')).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
