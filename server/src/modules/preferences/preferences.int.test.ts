import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { PREFERENCE_CATEGORIES_MAX, PREFERENCE_KEYS_PER_CATEGORY_MAX, PREFERENCE_VALUE_MAX_BYTES, type CategoryPreferences } from '@mreg/shared';
import { ConfigError } from '../../config';
import { CookieClient } from '../../testing/cookie-client';
import { databaseMode, testRedisUrl, testSettings, type TestApp } from '../../testing/harness';
import { signInAs, trpcMutation } from '../../testing/sign-in';
import { preferenceHashes } from './preferences.store';
import { appsInModes, authUser, cached, keys, MODES, newPerson, NOWHERE, ok, read, refused, rows, update, updateWithBody, type Person } from './preferences.testing';

/**
 * Preferences through the real app over HTTP, in each storage mode. Without MREG_TEST_REDIS_URL the
 * `redis` and `both` modes keep their Redis side in the in-process cache (the harness gives the app
 * that cache; the Redis URL the configuration insists on is then never dialled); with it, in real
 * Redis under a namespace of this file's own, deleted afterwards.
 */

const start = appsInModes();

describe('configuration', () => {
  it.each(['redis', 'both'])('refuses MREG_FASTMCP_PREFERENCES_STORAGE=%s without Redis, saying why', (mode) => {
    expect(() => testSettings({ MREG_FASTMCP_PREFERENCES_STORAGE: mode })).toThrow(ConfigError);
    expect(() => testSettings({ MREG_FASTMCP_PREFERENCES_STORAGE: mode })).toThrow(
      `MREG_FASTMCP_PREFERENCES_STORAGE: "${mode}" needs Redis; set MREG_REDIS_URL or MREG_REDIS_SENTINELS, or use database`,
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
      const hop = await updateWithBody(app, pat, `{"category":"ui","preferences":{"deep":${'['.repeat(depth)}1${']'.repeat(depth)}}}`);
      expect(hop.status, hop.body).toBe(400);
      expect(JSON.parse(hop.body).error.message).toBe(message);
    }
    expect(ok(await read(app, pat, 'ui'))).toEqual({});
    const signedOut = await trpcMutation(new CookieClient(), app.url, 'auth.updatePreferences', { category: 'ui', preferences: { a: 1 } });
    expect(signedOut.status).toBe(401);
  });

  it('refuses a number beyond JSON (1e400 reads as Infinity), at any depth, naming where it is, and stores nothing of the update', async () => {
    const pat = await newPerson(app);
    ok(await update(app, pat, 'ui', { zoom: 1 }));
    for (const [value, message] of [
      ['1e400', 'preferences.zoom: must be a finite number (at most about 1.8e308 either side of zero)'],
      ['-1e400', 'preferences.zoom: must be a finite number (at most about 1.8e308 either side of zero)'],
      ['{"panes":[1,{"width":1e400}]}', 'preferences.zoom.panes.1.width: must be a finite number (at most about 1.8e308 either side of zero)'],
    ]) {
      // Written by hand: JSON.stringify would write the Infinity as null, the very thing that was stored.
      const hop = await updateWithBody(app, pat, `{"category":"ui","preferences":{"theme":"dark","zoom":${value}}}`);
      expect(hop.status, hop.body).toBe(400);
      const { error } = JSON.parse(hop.body) as { error: { message: string; data: { code: string; fieldErrors: unknown } } };
      expect(error.data.code).toBe('BAD_REQUEST');
      expect(error.message).toBe(message);
    }
    expect(ok(await read(app, pat, 'ui'))).toEqual({ zoom: 1 });
    if (mode !== 'redis') expect(await rows(app, pat.userId)).toEqual({ ui: { zoom: 1 } });
    if (mode !== 'database') expect(await cached(app, pat.userId)).toEqual({ ui: { zoom: 1 } });
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
