import { describe, expect, it, vi } from 'vitest';
import { uniqueName } from '../../testing/harness';
import { cacheBackends, testCaches } from '../../testing/caches';
import { freePort } from '../../testing/processes';
import { CacheUnavailableError } from './preferences.hashes';
import { preferenceHashes as hashes } from './preferences.store';

// The kept hashes of preferences stored in Redis, on Redis and on the in-process cache that stands
// in for it in the tests of the embedded defaults.

const backends = cacheBackends;
const { cacheOn, proxyTo } = testCaches();

describe.each(backends)('kept hashes (%s)', (_name, redisUrl) => {
  const limits = { limits: { maxFields: 3, maxMembers: 2 } };

  it('writes fields into a member hash, lists the member, and answers the hash after the write', async () => {
    const cache = await cacheOn(redisUrl);
    expect(await hashes(cache).read('g', 'ui')).toEqual({ fields: {}, complete: false });
    expect(await hashes(cache).write('g', 'ui', { theme: 'dark', size: { n: 12 } })).toEqual({ written: true, fields: { theme: 'dark', size: { n: 12 } }, complete: false });
    expect(await hashes(cache).write('g', 'ui', { theme: null })).toEqual({ written: true, fields: { theme: null, size: { n: 12 } }, complete: false });
    const read = await hashes(cache).read('g', 'ui');
    expect(read).toEqual({ fields: { theme: null, size: { n: 12 } }, complete: false });
    (read.fields.size as { n: number }).n = 99;
    expect((await hashes(cache).read('g', 'ui')).fields.size).toEqual({ n: 12 });
    expect(await hashes(cache).readGroup('g')).toEqual({ members: { ui: { fields: { theme: null, size: { n: 12 } }, complete: false } }, complete: false });
    expect(await hashes(cache).readGroup('other')).toEqual({ members: {}, complete: false });
    // Nothing to write lists nothing.
    expect(await hashes(cache).write('g', 'empty', {})).toEqual({ written: true, fields: {}, complete: false });
    await hashes(cache).write('h', 'dropped', { a: 1 }, { complete: true });
    await hashes(cache).drop('h', 'dropped');
    expect(await hashes(cache).read('h', 'dropped')).toEqual({ fields: {}, complete: false });
    expect(Object.keys((await hashes(cache).readGroup('g')).members)).toEqual(['ui']);
    await expect(hashes(cache).write('g', 'ui', { '': 1 })).rejects.toThrow(/must not be empty/);
    // A writer that wrote everything marks the hash complete; later writes keep it so.
    expect(await hashes(cache).write('g', 'ui', { theme: 'light', size: 1 }, { complete: true })).toEqual({ written: true, fields: { theme: 'light', size: 1 }, complete: true });
    expect(await hashes(cache).write('g', 'ui', { size: 2 })).toEqual({ written: true, fields: { theme: 'light', size: 2 }, complete: true });
  });

  it('refuses a write past the field or member limit and writes none of it', async () => {
    const cache = await cacheOn(redisUrl);
    expect(await hashes(cache).write('g', 'a', { x: 1, y: 2 }, limits)).toMatchObject({ written: true });
    expect(await hashes(cache).write('g', 'a', { y: 20, z: 3, w: 4 }, limits)).toEqual({ written: false, limit: 'fields', count: 2, adding: 2 });
    expect((await hashes(cache).read('g', 'a')).fields).toEqual({ x: 1, y: 2 });
    // Keys already there are not added: rewriting all three at the limit is fine.
    expect(await hashes(cache).write('g', 'a', { x: 10, y: 20, z: 30 }, limits)).toEqual({ written: true, fields: { x: 10, y: 20, z: 30 }, complete: false });
    expect(await hashes(cache).write('g', 'b', { x: 1 }, limits)).toMatchObject({ written: true });
    expect(await hashes(cache).write('g', 'c', { x: 1 }, limits)).toEqual({ written: false, limit: 'members', count: 2 });
    expect(await hashes(cache).read('g', 'c')).toEqual({ fields: {}, complete: false });
    // The completeness markers count as neither field nor member.
    await hashes(cache).fill('g', { a: { x: 0 } }, true);
    expect(await hashes(cache).write('g', 'a', { x: 11 }, limits)).toEqual({ written: true, fields: { x: 11, y: 20, z: 30 }, complete: true });
    expect(await hashes(cache).write('g', 'b', { y: 2, z: 3 }, limits)).toMatchObject({ written: true });
    expect(await hashes(cache).write('g', 'c', { x: 1 }, limits)).toEqual({ written: false, limit: 'members', count: 2 });
  });

  it('fills only the fields a hash lacks, then marks hash and index complete', async () => {
    const cache = await cacheOn(redisUrl);
    await hashes(cache).write('g', 'ui', { theme: 'newer' });
    await hashes(cache).fill('g', { ui: { theme: 'older', size: 12 }, editor: { tabs: 2 }, none: {} }, false);
    expect(await hashes(cache).readGroup('g')).toEqual({
      members: { ui: { fields: { theme: 'newer', size: 12 }, complete: true }, editor: { fields: { tabs: 2 }, complete: true } },
      complete: false,
    });
    await hashes(cache).fill('g', {}, true);
    expect((await hashes(cache).readGroup('g')).complete).toBe(true);
    // A deleted hash is gone whole, and its index entry says so.
    await cache.delete('g:ui');
    expect(await hashes(cache).read('g', 'ui')).toEqual({ fields: {}, complete: false });
    expect((await hashes(cache).readGroup('g')).members.ui).toEqual({ fields: {}, complete: false });
  });

  it('never goes past the limits under concurrent writers', async () => {
    const cache = await cacheOn(redisUrl);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => hashes(cache).write('g', `m${i % 4}`, { [`f${i}`]: i }, { limits: { maxFields: 5, maxMembers: 3 } })),
    );
    const group = await hashes(cache).readGroup('g');
    expect(Object.keys(group.members)).toHaveLength(3);
    for (const hash of Object.values(group.members)) expect(Object.keys(hash.fields)).toHaveLength(5);
    expect(results.filter((r) => r.written)).toHaveLength(15);
  });

  it('keeps hashes in its own namespace', async () => {
    const one = await cacheOn(redisUrl);
    const two = await cacheOn(redisUrl);
    await hashes(one).write('g', 'ui', { a: 1 });
    expect(await hashes(two).readGroup('g')).toEqual({ members: {}, complete: false });
  });
});

describe('kept hashes in the in-process cache', () => {
  it('never evicts kept hashes, however many other entries come', async () => {
    const cache = await cacheOn(undefined, undefined, undefined, 10);
    await hashes(cache).write('g', 'ui', { theme: 'dark' });
    for (let i = 0; i < 100; i++) await cache.set(`filler:${i}`, i, 60);
    expect(await cache.get('filler:0')).toBeUndefined();
    expect((await hashes(cache).read('g', 'ui')).fields).toEqual({ theme: 'dark' });
    expect(Object.keys((await hashes(cache).readGroup('g')).members)).toEqual(['ui']);
  });
});

describe('kept hashes when Redis is unreachable', () => {
  it('throw CacheUnavailableError quickly instead of answering a miss', async () => {
    const port = await freePort();
    const cache = await cacheOn(`redis://127.0.0.1:${port}`);
    const started = performance.now();
    await expect(hashes(cache).write('g', 'ui', { a: 1 })).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(hashes(cache).write('g', 'ui', { a: 1 }, { limits: { maxFields: 1, maxMembers: 1 } })).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(hashes(cache).fill('g', { ui: { a: 1 } }, true)).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(hashes(cache).read('g', 'ui')).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(hashes(cache).readGroup('g')).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe.each(backends.filter(([name]) => name === 'redis'))('kept hashes (%s) losing their server', (_name, redisUrl) => {
  it('a hash dropped while Redis is gone reads as absent here, and is deleted once Redis is back', async () => {
    const proxy = await proxyTo(redisUrl!);
    const namespace = uniqueName();
    const cache = await cacheOn(`redis://127.0.0.1:${proxy.port}`, undefined, namespace);
    await hashes(cache).write('prefs:u', 'ui', { theme: 'dark' }, { complete: true });

    proxy.cut();
    await expect(hashes(cache).drop('prefs:u', 'ui')).resolves.toBeUndefined();
    proxy.restore();
    const direct = await cacheOn(redisUrl, undefined, namespace);
    // Until this client has deleted it, it does not read the stale copy it could not delete.
    expect(await hashes(cache).read('prefs:u', 'ui')).toEqual({ fields: {}, complete: false });
    await vi.waitFor(async () => expect(await hashes(direct).read('prefs:u', 'ui')).toEqual({ fields: {}, complete: false }), { timeout: 5000, interval: 100 });
    expect((await hashes(cache).readGroup('prefs:u')).members.ui).toEqual({ fields: {}, complete: false });
    // Written again after the outage: the new copy is read, not dropped.
    await hashes(cache).write('prefs:u', 'ui', { theme: 'light' }, { complete: true });
    expect(await hashes(direct).read('prefs:u', 'ui')).toEqual({ fields: { theme: 'light' }, complete: true });
  });
});
