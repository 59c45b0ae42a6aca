import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PREFERENCE_CATEGORIES_MAX,
  PREFERENCE_KEYS_PER_CATEGORY_MAX,
  PREFERENCE_VALUE_MAX_BYTES,
  type AuthUser,
  type CategoryPreferences,
  type PreferencesStorage,
} from '@mreg/shared';
import { ConfigError } from '../../config';
import { DEMO_TENANTS } from '../../identity/demo-directory';
import { systemClock } from '../../lib/clock';
import { CookieClient } from '../../testing/cookie-client';
import { deleteRedisKeys } from '../../testing/databases';
import { databaseMode, startTestApp, testRedisUrl, testSettings, type TestApp } from '../../testing/harness';
import { freePort } from '../../testing/processes';
import { signInAs, trpcMutation, trpcQuery, type TrpcAnswer } from '../../testing/sign-in';
import { createContextInner } from '../../trpc/context';
import { createCaller } from '../../trpc/router';
import { createSession, sessionDeps } from '../sessions/sessions.store';
import { preferenceHashes } from './preferences.store';
import { resolveSession } from '../sessions/sessions.validate';
import { sessionLifetime } from '../sessions/sessions.lifetime';
import { recordSignIn } from '../users/users.service';

/**
 * Preferences through the real app over HTTP, in each storage mode. Without MREG_TEST_REDIS_URL the
 * `redis` and `both` modes keep their Redis side in the in-process cache (the harness gives the app
 * that cache; the Redis URL the configuration insists on is then never dialled); with it, in real
 * Redis under a namespace of this file's own, deleted afterwards.
 */

const MODES: PreferencesStorage[] = ['database', 'redis', 'both'];
const NOWHERE = 'redis://127.0.0.1:1';

function envFor(mode: PreferencesStorage) {
  return {
    MREG_FASTMCP_PREFERENCES_STORAGE: mode,
    MREG_REDIS_URL: mode === 'database' ? undefined : (testRedisUrl ?? NOWHERE),
    MREG_SIGN_IN_RATE_LIMIT: '1000',
  };
}

const started: TestApp[] = [];
async function start(mode: PreferencesStorage, redisUrl?: string): Promise<TestApp> {
  const app = await startTestApp({ env: envFor(mode), redisUrl });
  started.push(app);
  return app;
}
afterAll(async () => {
  for (const app of started.splice(0)) {
    await app.close();
    if (testRedisUrl) await deleteRedisKeys(testRedisUrl, `${app.cacheNamespace}:`);
  }
});

interface Person {
  userId: string;
  token: string;
  client: CookieClient;
}

/**
 * A new person of Contoso with a session, recorded by the sign-in's own code: each test has people
 * of its own, so that limits and counts do not depend on the order tests run in.
 */
async function newPerson(app: TestApp): Promise<Person> {
  return app.db.orm.em.fork().transactional(async (tx) => {
    const oid = randomUUID();
    const { userId, tenantId } = await recordSignIn(tx, { oid, tid: DEMO_TENANTS[0].id, email: `${oid}@contoso.test`, name: 'Pat Tester', roles: [], tenantName: undefined });
    const { token } = createSession(tx, {
      userId,
      tenantId,
      accessToken: 'test',
      userAgent: undefined,
      ipAddress: undefined,
      lifetime: sessionLifetime(app.settings.fastmcp),
      now: new Date(),
    });
    return { userId, token, client: new CookieClient({ cookie: `mreg_session=${token}` }) };
  });
}

const update = (app: TestApp, person: Person, category: string, preferences: unknown) =>
  trpcMutation(person.client, app.url, 'auth.updatePreferences', { category, preferences });
const read = (app: TestApp, person: Person, category: string) => trpcQuery(person.client, app.url, 'auth.preferences', { category });

function ok(answer: TrpcAnswer): CategoryPreferences {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.result!.data as CategoryPreferences;
}

function refused(answer: TrpcAnswer, message: string | RegExp) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(400);
  expect(answer.body.error?.data.code).toBe('BAD_REQUEST');
  expect(answer.body.error?.message).toMatch(message);
}

async function authUser(app: TestApp, person: Person): Promise<AuthUser> {
  const answer = await trpcQuery(person.client, app.url, 'auth.user');
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.result!.data as AuthUser;
}

/** The person's rows in user_preferences, by category. */
async function rows(app: TestApp, userId: string): Promise<Record<string, CategoryPreferences>> {
  const found = await app.db.orm.em.fork().execute<{ category: string; key: string; value: unknown }[]>(
    'select category, key, value from user_preferences where user_id = ? order by category, key',
    [userId],
  );
  const byCategory: Record<string, CategoryPreferences> = {};
  for (const row of found) (byCategory[row.category] ??= {})[row.key] = row.value;
  return byCategory;
}

/** What Redis (or the in-process cache standing in for it) holds for the person, by category. */
async function cached(app: TestApp, userId: string): Promise<Record<string, CategoryPreferences>> {
  const group = await preferenceHashes(app.cache).readGroup(`prefs:${userId}`);
  return Object.fromEntries(Object.entries(group.members).map(([category, hash]) => [category, hash.fields]));
}

const keys = (count: number, prefix = 'k') => Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, i]));

describe('configuration', () => {
  it.each(['redis', 'both'])('refuses MREG_FASTMCP_PREFERENCES_STORAGE=%s without Redis, saying why', (mode) => {
    expect(() => testSettings({ MREG_FASTMCP_PREFERENCES_STORAGE: mode })).toThrow(ConfigError);
    expect(() => testSettings({ MREG_FASTMCP_PREFERENCES_STORAGE: mode })).toThrow(
      `MREG_FASTMCP_PREFERENCES_STORAGE: "${mode}" needs Redis; set MREG_REDIS_URL or use database`,
    );
    expect(testSettings({ MREG_FASTMCP_PREFERENCES_STORAGE: mode, MREG_REDIS_URL: NOWHERE }).fastmcp.preferencesStorage).toBe(mode);
  });
});

describe.each(MODES)(`preferences stored in %s (${databaseMode}, ${testRedisUrl ? 'Redis' : 'in-process cache'})`, (mode) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await start(mode);
  });

  it('answers a category, merges updates into it, and auth.user lists every category', async () => {
    // Signed in through the development provider, as a browser would.
    const signed = await signInAs(app.url, 'ada@contoso.test', { client: new CookieClient() });
    const ada: Person = { userId: '', token: signed.token, client: signed.client };
    ada.userId = (await authUser(app, ada)).user.id;
    expect(ok(await read(app, ada, 'ui'))).toEqual({});
    expect(ok(await update(app, ada, 'ui', { theme: 'dark', font_size: 14, layout: { sidebar: true, panes: [1, 2] } }))).toEqual({
      theme: 'dark',
      font_size: 14,
      layout: { sidebar: true, panes: [1, 2] },
    });
    expect(ok(await update(app, ada, 'ui', { theme: 'light', none: null, 'greeting.v-2': '😀 ünïcødé' }))).toEqual({
      theme: 'light',
      font_size: 14,
      layout: { sidebar: true, panes: [1, 2] },
      none: null,
      'greeting.v-2': '😀 ünïcødé',
    });
    ok(await update(app, ada, 'editor.python', { tabs: 4 }));
    expect(ok(await update(app, ada, 'editor.python', {}))).toEqual({ tabs: 4 });
    expect(ok(await read(app, ada, 'ui'))).toMatchObject({ theme: 'light', none: null });
    expect((await authUser(app, ada)).preferences).toEqual({
      'editor.python': { tabs: 4 },
      ui: { theme: 'light', font_size: 14, layout: { sidebar: true, panes: [1, 2] }, none: null, 'greeting.v-2': '😀 ünïcødé' },
    });

    // Someone else has none of them.
    const other = await newPerson(app);
    expect(ok(await read(app, other, 'ui'))).toEqual({});
    expect((await authUser(app, other)).preferences).toEqual({});
  });

  it('keeps preferences where MREG_FASTMCP_PREFERENCES_STORAGE says', async () => {
    const pat = await newPerson(app);
    ok(await update(app, pat, 'ui', { theme: 'dark' }));
    ok(await update(app, pat, 'editor', { tabs: 2 }));
    const everything = { editor: { tabs: 2 }, ui: { theme: 'dark' } };
    expect(await rows(app, pat.userId)).toEqual(mode === 'redis' ? {} : everything);
    expect(await cached(app, pat.userId)).toEqual(mode === 'database' ? {} : everything);
    if (mode === 'database') {
      // Not a key of this app's namespace holds preferences.
      expect(await preferenceHashes(app.cache).readGroup(`prefs:${pat.userId}`)).toEqual({ members: {}, complete: false });
      expect(await preferenceHashes(app.cache).read(`prefs:${pat.userId}`, 'ui')).toEqual({ fields: {}, complete: false });
    }
  });

  it(`takes a category to ${PREFERENCE_KEYS_PER_CATEGORY_MAX} keys and refuses the next, writing nothing of that update`, async () => {
    const pat = await newPerson(app);
    expect(Object.keys(ok(await update(app, pat, 'ui', keys(99))))).toHaveLength(99);
    expect(Object.keys(ok(await update(app, pat, 'ui', { k100: 100 })))).toHaveLength(100);
    // Rewriting keys it has is fine at the limit.
    expect(ok(await update(app, pat, 'ui', { k0: 'changed', k1: 'changed' }))).toMatchObject({ k0: 'changed', k1: 'changed' });

    const answer = await update(app, pat, 'ui', { k2: 'would change', fresh: 1 });
    refused(answer, 'preferences: a category holds at most 100 keys; "ui" has 100 and this update adds 1; nothing was written');
    const after = ok(await read(app, pat, 'ui'));
    expect(Object.keys(after)).toHaveLength(100);
    expect(after).toMatchObject({ k2: 2 });
    expect(after).not.toHaveProperty('fresh');
    if (mode !== 'redis') expect(Object.keys((await rows(app, pat.userId)).ui!)).toHaveLength(100);
    if (mode !== 'database') expect(Object.keys((await cached(app, pat.userId)).ui!)).toHaveLength(100);
    // Other categories are not affected by this one being full.
    ok(await update(app, pat, 'other', { fresh: 1 }));
  });

  it(`takes a value of exactly ${PREFERENCE_VALUE_MAX_BYTES} bytes of JSON and refuses one byte more`, async () => {
    const pat = await newPerson(app);
    // 16382 characters and 2 quotes; then in two-byte characters.
    const ascii = 'x'.repeat(PREFERENCE_VALUE_MAX_BYTES - 2);
    const accented = 'é'.repeat((PREFERENCE_VALUE_MAX_BYTES - 2) / 2);
    expect(ok(await update(app, pat, 'big', { ascii, accented }))).toEqual({ ascii, accented });
    refused(await update(app, pat, 'big', { ascii: `${ascii}x`, other: 1 }), 'preferences.ascii: must be at most 16384 bytes as JSON (UTF-8)');
    refused(await update(app, pat, 'big', { accented: `${accented}x` }), 'preferences.accented: must be at most 16384 bytes as JSON (UTF-8)');
    expect(ok(await read(app, pat, 'big'))).toEqual({ ascii, accented });
  });

  it(`refuses the ${PREFERENCE_CATEGORIES_MAX + 1}st category, even when all come at once`, async () => {
    const pat = await newPerson(app);
    const answers = await Promise.all(Array.from({ length: PREFERENCE_CATEGORIES_MAX + 10 }, (_, i) => update(app, pat, `c${i}`, { on: true })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(PREFERENCE_CATEGORIES_MAX);
    const refusals = answers.filter((a) => a.status !== 200);
    expect(refusals).toHaveLength(10);
    for (const answer of refusals) refused(answer, /^category: a person keeps at most 100 categories; you have 100 and "c\d+" would be another; nothing was written$/);
    expect(Object.keys((await authUser(app, pat)).preferences)).toHaveLength(PREFERENCE_CATEGORIES_MAX);
    // Categories it has still take new keys.
    const kept = Object.keys((await authUser(app, pat)).preferences)[0]!;
    ok(await update(app, pat, kept, { more: 1 }));
  });

  it('refuses bad input with BAD_REQUEST naming the field, and deep nesting without trouble', async () => {
    const pat = await newPerson(app);
    refused(await update(app, pat, 'Bad Category', { a: 1 }), 'category: must be 1-100 characters of a-z, 0-9, _, . or -');
    refused(await update(app, pat, 'ui', { 'Bad Key': 1 }), 'preferences.Bad Key: must be 1-100 characters of a-z, 0-9, _, . or -');
    refused(await update(app, pat, 'ui', keys(101)), 'preferences: must hold at most 100 keys per update; this one has 101');
    refused(await update(app, pat, 'ui', { s: 'nul\u0000' }), 'preferences.s: must not contain the character U+0000');
    refused(await update(app, pat, 'ui', { s: '\ud800' }), 'preferences.s: must be valid Unicode');
    refused(await read(app, pat, '../etc'), 'category: must be 1-100 characters of a-z, 0-9, _, . or -');
    // Past the schema's 32 levels the schema answers; far past them, the host's body check (64 levels).
    for (const [depth, message] of [
      [33, 'preferences.deep: must not nest arrays and objects more than 32 deep'],
      [1000, 'Request body nests deeper than 64 levels'],
    ] as const) {
      // Written by hand: JSON.stringify itself recurses.
      const body = `{"category":"ui","preferences":{"deep":${'['.repeat(depth)}1${']'.repeat(depth)}}}`;
      const hop = await pat.client.request(`${app.url}/trpc/auth.updatePreferences`, {
        method: 'POST',
        headers: { origin: app.url, 'x-mreg-csrf': '1', 'content-type': 'application/json' },
        body,
      });
      expect(hop.status, hop.body).toBe(400);
      expect(JSON.parse(hop.body).error.message).toBe(message);
    }
    expect(ok(await read(app, pat, 'ui'))).toEqual({});
    const signedOut = await trpcMutation(new CookieClient(), app.url, 'auth.updatePreferences', { category: 'ui', preferences: { a: 1 } });
    expect(signedOut.status).toBe(401);
  });

  it('takes 50 concurrent updates of the same keys and of different keys: no error, one entry per key, a written value', async () => {
    const pat = await newPerson(app);
    const same = ['theme', 'size', 'lang'];
    const writes = Array.from({ length: 50 }, (_, i) => ({
      ...Object.fromEntries(same.filter((_, k) => (i + k) % 3 !== 0).map((key) => [key, { by: i, key }])),
      [`own${i}`]: i,
    }));
    const answers = await Promise.all(writes.map((preferences) => update(app, pat, 'ui', preferences)));
    for (const answer of answers) ok(answer);

    const final = ok(await read(app, pat, 'ui'));
    expect(Object.keys(final).sort()).toEqual([...same, ...writes.map((_, i) => `own${i}`)].sort());
    for (const key of same) expect(writes.map((w) => w[key])).toContainEqual(final[key]);
    for (let i = 0; i < 50; i++) expect(final[`own${i}`]).toBe(i);
    // One row (one field) per key, and where both are kept, the same last write in both.
    if (mode !== 'redis') expect((await rows(app, pat.userId)).ui).toEqual(final);
    if (mode !== 'database') expect((await cached(app, pat.userId)).ui).toEqual(final);
  });

  it('never takes a category past the limit under concurrent updates near it', async () => {
    const pat = await newPerson(app);
    ok(await update(app, pat, 'ui', keys(90)));
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => update(app, pat, 'ui', { [`new${i}`]: i, k0: i })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(10);
    for (const answer of answers.filter((a) => a.status !== 200)) refused(answer, /at most 100 keys; "ui" has 100 and this update adds 1/);
    // Pairs of new keys: some fit, none overshoots.
    const more = await newPerson(app);
    ok(await update(app, more, 'ui', keys(95)));
    await Promise.all(Array.from({ length: 10 }, (_, i) => update(app, more, 'ui', { [`a${i}`]: i, [`b${i}`]: i })));
    const count = Object.keys(ok(await read(app, more, 'ui'))).length;
    // 95, 97, 99: a third pair would make 101.
    expect(count).toBe(99);
    expect(Object.keys(ok(await read(app, pat, 'ui')))).toHaveLength(100);
  });

  it('answers random input with 200 or 400, never a 500, and stores what it accepted', async () => {
    const pat = await newPerson(app);
    const name = fc.oneof(fc.stringMatching(/^[a-z0-9_.-]{1,12}$/), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }));
    const value = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 40 }));
    const input = fc.oneof(
      { weight: 4, arbitrary: fc.record({ category: name, preferences: fc.dictionary(name, value, { maxKeys: 6 }) }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );
    await fc.assert(
      fc.asyncProperty(input, async (sent) => {
        const answer = await trpcMutation(pat.client, app.url, 'auth.updatePreferences', sent);
        expect([200, 400], JSON.stringify(answer.body)).toContain(answer.status);
        if (answer.status !== 200) return;
        // What comes back is what went in (through JSON, as a client sees it).
        const { category, preferences } = JSON.parse(JSON.stringify(sent)) as { category: string; preferences: CategoryPreferences };
        expect(ok(await read(app, pat, category))).toMatchObject(preferences);
      }),
      { numRuns: 50 },
    );
  });
});

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
    second = await startTestApp({ env: envFor('database'), sameStoresAs: first });
    started.push(second);
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
    const mixed = await startTestApp({ env: envFor('both'), sameStoresAs: first });
    started.push(mixed);
    const pat = await newPerson(first);
    ok(await update(first, pat, 'ui', { theme: 'dark' }));
    expect((await authUser(first, pat)).preferences).toEqual({ ui: { theme: 'dark' } });
    ok(await update(mixed, pat, 'ui', { theme: 'light' }));
    expect((await authUser(first, pat)).preferences).toEqual({ ui: { theme: 'light' } });
  });

  it('reads the table every time with MREG_FASTMCP_PREFERENCES_CACHE_TTL=0', async () => {
    const uncached = await startTestApp({ env: { ...envFor('database'), MREG_FASTMCP_PREFERENCES_CACHE_TTL: '0' }, sameStoresAs: first });
    started.push(uncached);
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
    const app = await start('redis', `redis://127.0.0.1:${port}`);
    const pat = await newPerson(app);
    for (const answer of [await update(app, pat, 'ui', { a: 1 }), await read(app, pat, 'ui'), await trpcQuery(pat.client, app.url, 'auth.user')]) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(503);
      expect(answer.body.error?.message).toMatch(/Preferences are kept in Redis .*which does not answer/);
    }
  });

  it('in both mode: the database answers and takes the writes', async () => {
    const app = await start('both', `redis://127.0.0.1:${port}`);
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
