import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../lib/clock';
import { testSettings, type TestApp } from '../../testing/harness';
import { freePort } from '../../testing/processes';
import { trpcQuery } from '../../testing/sign-in';
import { createContextInner } from '../../trpc/context';
import { createCaller } from '../../trpc/router';
import { sessionDeps } from '../sessions/sessions.store';
import { preferenceHashes } from './preferences.store';
import { resolveSession } from '../sessions/sessions.validate';
import { appsInModes, authUser, newPerson, ok, read, rows, update } from './preferences.testing';

/**
 * Preferences stored in both (Redis first, the database behind it) and in the database (auth.user read
 * through the cache), with Redis not answering, and through createCaller; see preferences.int.test.ts.
 */

const start = appsInModes();

describe('preferences stored in both: Redis first, the database behind it', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await start('both');
  });

  const setRow = (userId: string, category: string, key: string, value: unknown) =>
    app.db.orm.em
      .fork()
      .execute('update user_preferences set value = ?::jsonb where user_id = ? and category = ? and key = ?', [JSON.stringify(value), userId, category, key]);

  it('reads from Redis first, and refills Redis from the database after its copy is deleted', async () => {
    const pat = await newPerson(app);
    ok(await update(app, pat, 'ui', { theme: 'dark', size: 12 }));
    // The first auth.user lists the categories from the database into Redis; then both read Redis.
    expect((await authUser(app, pat)).preferences).toEqual({ ui: { theme: 'dark', size: 12 } });
    expect((await preferenceHashes(app.cache).readGroup(`prefs:${pat.userId}`)).complete).toBe(true);
    await setRow(pat.userId, 'ui', 'theme', 'changed behind its back');
    expect(ok(await read(app, pat, 'ui'))).toEqual({ theme: 'dark', size: 12 });
    expect((await authUser(app, pat)).preferences).toEqual({ ui: { theme: 'dark', size: 12 } });

    await app.cache.delete(`prefs:${pat.userId}:ui`);
    expect(ok(await read(app, pat, 'ui'))).toEqual({ theme: 'changed behind its back', size: 12 });
    expect(await preferenceHashes(app.cache).read(`prefs:${pat.userId}`, 'ui')).toEqual({ fields: { theme: 'changed behind its back', size: 12 }, complete: true });
    // Refilled, and read first again.
    await setRow(pat.userId, 'ui', 'theme', 'changed again');
    expect(ok(await read(app, pat, 'ui'))).toEqual({ theme: 'changed behind its back', size: 12 });

    // auth.user: the index of categories, deleted, comes back whole.
    ok(await update(app, pat, 'editor', { tabs: 2 }));
    await app.cache.delete(`prefs:${pat.userId}`, `prefs:${pat.userId}:ui`);
    expect((await authUser(app, pat)).preferences).toEqual({ editor: { tabs: 2 }, ui: { theme: 'changed again', size: 12 } });
    expect(await preferenceHashes(app.cache).readGroup(`prefs:${pat.userId}`)).toEqual({
      members: { editor: { fields: { tabs: 2 }, complete: true }, ui: { fields: { theme: 'changed again', size: 12 }, complete: true } },
      complete: true,
    });
  });

  it('writes the whole category into a copy that was missing, so that it never reads a part as the whole', async () => {
    const pat = await newPerson(app);
    ok(await update(app, pat, 'ui', { theme: 'dark', size: 12 }));
    await app.cache.delete(`prefs:${pat.userId}:ui`);
    expect(ok(await update(app, pat, 'ui', { size: 13 }))).toEqual({ theme: 'dark', size: 13 });
    expect(await preferenceHashes(app.cache).read(`prefs:${pat.userId}`, 'ui')).toEqual({ fields: { theme: 'dark', size: 13 }, complete: true });
    expect(ok(await read(app, pat, 'ui'))).toEqual({ theme: 'dark', size: 13 });
  });

  it('lets no refill undo a newer write: after reads and writes race, Redis and the database agree', async () => {
    const pat = await newPerson(app);
    ok(await update(app, pat, 'ui', { theme: 'start', other: 0 }));
    for (let round = 0; round < 5; round++) {
      await app.cache.delete(`prefs:${pat.userId}:ui`, `prefs:${pat.userId}`);
      const racing = Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? read(app, pat, 'ui') : i % 4 === 1 ? update(app, pat, 'ui', { theme: `r${round}w${i}` }) : trpcQuery(pat.client, app.url, 'auth.user'),
      );
      for (const answer of await Promise.all(racing)) expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const inDatabase = (await rows(app, pat.userId)).ui;
      expect(ok(await read(app, pat, 'ui'))).toEqual(inDatabase);
      expect((await authUser(app, pat)).preferences.ui).toEqual(inDatabase);
    }
  });
});

describe('preferences stored in the database: auth.user reads them through the cache', () => {
  let first: TestApp;
  let second: TestApp;
  beforeAll(async () => {
    first = await start('database');
    // Another instance on the same database and cache, as behind a load balancer.
    second = await start('database', { sameStoresAs: first });
  });

  const setRow = (userId: string, value: unknown) =>
    first.db.orm.em
      .fork()
      .execute(`update user_preferences set value = ?::jsonb where user_id = ? and category = 'ui' and key = 'theme'`, [JSON.stringify(value), userId]);

  it('answers auth.user from the cache, and a write on one instance shows on the next auth.user of every instance', async () => {
    const pat = await newPerson(first);
    ok(await update(first, pat, 'ui', { theme: 'dark' }));
    expect((await authUser(second, pat)).preferences).toEqual({ ui: { theme: 'dark' } });
    expect(await first.cache.get(`prefs-all:${pat.userId}`)).toEqual({ ui: { theme: 'dark' } });
    // Cached: a change behind the app's back is not seen by auth.user (auth.preferences reads the table).
    await setRow(pat.userId, 'changed behind its back');
    expect((await authUser(first, pat)).preferences).toEqual({ ui: { theme: 'dark' } });
    expect(ok(await read(first, pat, 'ui'))).toEqual({ theme: 'changed behind its back' });

    // A write through either instance: both answer it at once.
    ok(await update(second, pat, 'editor', { tabs: 2 }));
    const everything = { editor: { tabs: 2 }, ui: { theme: 'changed behind its back' } };
    expect((await authUser(first, pat)).preferences).toEqual(everything);
    expect((await authUser(second, pat)).preferences).toEqual(everything);
    expect(await rows(first, pat.userId)).toEqual(everything);
  });

  it('lets no read that raced a write put the old preferences back', async () => {
    const pat = await newPerson(first);
    ok(await update(first, pat, 'ui', { theme: 'start' }));
    for (let round = 0; round < 5; round++) {
      const racing = Array.from({ length: 20 }, (_, i) =>
        i % 3 === 0 ? update(i % 2 ? first : second, pat, 'ui', { theme: `r${round}w${i}` }) : trpcQuery(pat.client, (i % 2 ? first : second).url, 'auth.user'),
      );
      for (const answer of await Promise.all(racing)) expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const inDatabase = await rows(first, pat.userId);
      expect((await authUser(first, pat)).preferences).toEqual(inDatabase);
      expect((await authUser(second, pat)).preferences).toEqual(inDatabase);
    }
  });

  it('shows a write made under both storage, by an instance of the other mode, on the next auth.user', async () => {
    const mixed = await start('both', { sameStoresAs: first });
    const pat = await newPerson(first);
    ok(await update(first, pat, 'ui', { theme: 'dark' }));
    expect((await authUser(first, pat)).preferences).toEqual({ ui: { theme: 'dark' } });
    ok(await update(mixed, pat, 'ui', { theme: 'light' }));
    expect((await authUser(first, pat)).preferences).toEqual({ ui: { theme: 'light' } });
  });

  it('reads the table every time with MREG_FASTMCP_PREFERENCES_CACHE_TTL=0', async () => {
    const uncached = await start('database', { env: { MREG_FASTMCP_PREFERENCES_CACHE_TTL: '0' }, sameStoresAs: first });
    const pat = await newPerson(uncached);
    ok(await update(uncached, pat, 'ui', { theme: 'dark' }));
    expect((await authUser(uncached, pat)).preferences).toEqual({ ui: { theme: 'dark' } });
    await setRow(pat.userId, 'light');
    expect((await authUser(uncached, pat)).preferences).toEqual({ ui: { theme: 'light' } });
    expect(await uncached.cache.get(`prefs-all:${pat.userId}`)).toMatchObject({ stale: expect.any(String) });
  });
});

describe('preferences when Redis does not answer', () => {
  let port: number;
  beforeAll(async () => {
    port = await freePort();
  });

  it('in redis mode: SERVICE_UNAVAILABLE, saying so, for reads, writes and auth.user', async () => {
    const app = await start('redis', { redisUrl: `redis://127.0.0.1:${port}` });
    const pat = await newPerson(app);
    for (const answer of [await update(app, pat, 'ui', { a: 1 }), await read(app, pat, 'ui'), await trpcQuery(pat.client, app.url, 'auth.user')]) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(503);
      expect(answer.body.error?.message).toMatch(/Preferences are kept in Redis .*which does not answer/);
    }
  });

  it('in both mode: the database answers and takes the writes', async () => {
    const app = await start('both', { redisUrl: `redis://127.0.0.1:${port}` });
    const pat = await newPerson(app);
    expect(ok(await update(app, pat, 'ui', { a: 1 }))).toEqual({ a: 1 });
    expect(ok(await read(app, pat, 'ui'))).toEqual({ a: 1 });
    expect((await authUser(app, pat)).preferences).toEqual({ ui: { a: 1 } });
    expect(await rows(app, pat.userId)).toEqual({ ui: { a: 1 } });
  });
});

describe('preference procedures through createCaller', () => {
  it('refuse what no JSON client could send, switch off with profiles, and need a session', async () => {
    const app = await start('database');
    const pat = await newPerson(app);
    const callerWith = async (settings = app.settings) => {
      const em = app.db.orm.em.fork();
      const session = await resolveSession(sessionDeps({ em, cache: app.cache, clock: systemClock, settings }), pat.token);
      return createCaller(createContextInner({ settings, cache: app.cache, em, session }));
    };
    const caller = await callerWith();
    const throwing = Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('getter'); } });
    for (const value of [1n, undefined, NaN, new Date(), throwing, () => 1, Symbol('s')]) {
      await expect(caller.auth.updatePreferences({ category: 'ui', preferences: { v: value } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    expect(await caller.auth.updatePreferences({ category: 'ui', preferences: { v: 1 } })).toEqual({ v: 1 });
    expect(await caller.auth.preferences({ category: 'ui' })).toEqual({ v: 1 });

    const off = await callerWith(testSettings({ MREG_FASTMCP_USER_PROFILES_ENABLED: 'false' }));
    await expect(off.auth.preferences({ category: 'ui' })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED', message: expect.stringContaining('MREG_FASTMCP_USER_PROFILES_ENABLED') });
    await expect(off.auth.updatePreferences({ category: 'ui', preferences: { v: 2 } })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });

    const anonymous = createCaller(createContextInner({ settings: app.settings, cache: app.cache, em: app.db.orm.em.fork(), session: null }));
    await expect(anonymous.auth.preferences({ category: 'ui' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await caller.auth.preferences({ category: 'ui' })).toEqual({ v: 1 });
  });
});
