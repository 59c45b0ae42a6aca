import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROFILE_PREFERENCES_MAX_BYTES, ZProfile, type Profile } from '@mreg/shared';
import type { Cache } from '../../cache/cache';
import { CookieClient } from '../../testing/cookie-client';
import { databaseMode, testRedisUrl } from '../../testing/harness';
import { signInAs } from '../../testing/sign-in';
import { hashToken } from '../../lib/tokens';
import { sessionDeps } from '../sessions/sessions.store';
import { profileDeps, readProfile, updateProfile, type ProfileDeps } from './profiles.service';
import { app, me, profileRow, signIn, updateOverHttp, useProfilesApp } from './profiles.testing';

/**
 * Profiles through the real app over HTTP: auth.updateProfile (random input included), and the
 * profile cache in front of the database (and its race with writers). Avatars are in
 * profiles.avatars.int.test.ts.
 */

useProfilesApp();

async function updated(client: CookieClient, input: unknown): Promise<Profile> {
  const answer = await updateOverHttp(client, input);
  if (answer.status !== 200) throw new Error(`auth.updateProfile answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return ZProfile.parse(answer.body.result!.data);
}

const behindTheAppsBack = (sql: string, params: unknown[], on = app) => on.db.orm.em.fork().execute(sql, params);

describe(`auth.updateProfile (${databaseMode}, ${testRedisUrl ? 'Redis' : 'in-process cache'})`, () => {
  it('trims, stores and answers the profile; empty or whitespace clears a field; absent leaves it', async () => {
    const client = await signIn('uma@contoso.test');
    const { user, profile: before } = await me(client);
    const first = await updated(client, { displayName: '  Uma Umarova  ', bio: '\n Builds MCP servers.\nLikes tea. \t' });
    expect(first).toMatchObject({ id: before.id, displayName: 'Uma Umarova', bio: 'Builds MCP servers.\nLikes tea.' });
    expect(Date.parse(first.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.updatedAt));
    expect((await me(client)).profile).toEqual(first);

    const second = await updated(client, { bio: '   ' });
    expect(second).toMatchObject({ displayName: 'Uma Umarova', bio: null });
    const third = await updated(client, { displayName: null });
    expect(third).toMatchObject({ displayName: null, bio: null });
    expect(await profileRow(user.id)).toMatchObject({ display_name: null, bio: null });
  });

  it('refuses control characters, overlong text and unknown fields with BAD_REQUEST naming the field, changing nothing', async () => {
    const client = await signIn('vic@fabrikam.test');
    await updated(client, { displayName: 'Vic' });
    const cases: [unknown, string][] = [
      [{ displayName: 'Vic\u0007tor' }, 'displayName: contains the control character U+0007, which is not allowed'],
      [{ bio: 'a\u0000b' }, 'bio: contains the control character U+0000, which is not allowed'],
      [{ displayName: '\u202eroticiV' }, 'displayName: contains the control character U+202E, which is not allowed'],
      [{ displayName: 'x'.repeat(256) }, 'displayName: is longer than 255 characters'],
      [{ bio: 'y'.repeat(1001) }, 'bio: is longer than 1000 characters'],
      [{ avatarUrl: 'https://evil.example/a.png' }, 'input: "avatarUrl" is not a profile field; the fields are displayName, bio and preferences'],
      [{ preferences: [1, 2] }, 'preferences: must be a JSON object ({ "key": value, ... })'],
    ];
    for (const [input, message] of cases) {
      const answer = await updateOverHttp(client, input);
      expect(answer.status, message).toBe(400);
      expect(answer.body.error).toMatchObject({ message, data: { code: 'BAD_REQUEST' } });
    }
    const field = await updateOverHttp(client, { displayName: 'a\u0001' });
    expect(field.body.error?.data.fieldErrors).toEqual({ displayName: ['contains the control character U+0001, which is not allowed'] });
    expect((await me(client)).profile.displayName).toBe('Vic');
  });

  it('refuses invisible characters (BAD_REQUEST naming the field and the character), storing nothing; keeps emoji; stores the NFKC form', async () => {
    const client = await signIn('uma@contoso.test');
    const { user } = await me(client);
    await updated(client, { displayName: 'Uma', bio: 'Builds MCP servers.' });
    const cases: [unknown, string, string][] = [
      [{ displayName: 'Ada\u180e' }, 'displayName', 'contains an invisible character (U+180E MONGOLIAN VOWEL SEPARATOR), which is not allowed'],
      [{ displayName: '\u3164' }, 'displayName', 'has no visible characters (only invisible ones such as U+3164 HANGUL FILLER)'],
      [{ displayName: 'Uma', bio: 'Hi\u2800there' }, 'bio', 'contains an invisible character (U+2800 BRAILLE PATTERN BLANK), which is not allowed'],
      [{ bio: 'x\u{e0041}' }, 'bio', 'contains an invisible tag character (U+E0041), which is not allowed'],
      [{ displayName: 'Ada\u200f' }, 'displayName', 'contains a bidirectional control character (U+200F RIGHT-TO-LEFT MARK), which is not allowed'],
    ];
    for (const [input, field, message] of cases) {
      const answer = await updateOverHttp(client, input);
      expect(answer.status, message).toBe(400);
      expect(answer.body.error).toMatchObject({ message: `${field}: ${message}`, data: { code: 'BAD_REQUEST', fieldErrors: { [field]: [message] } } });
    }
    expect(await profileRow(user.id)).toMatchObject({ display_name: 'Uma', bio: 'Builds MCP servers.' });

    const kept = await updated(client, { displayName: 'Ｕｍａ 👩🏽‍💻', bio: 'I ❤️ ﬁne tea' });
    expect(kept).toMatchObject({ displayName: 'Uma 👩🏽‍💻', bio: 'I ❤️ fine tea' });
    expect(await profileRow(user.id)).toMatchObject({ display_name: 'Uma 👩🏽‍💻', bio: 'I ❤️ fine tea' });
  });

  it('merges preferences one level deep (null removes a key) and refuses a merge over the limit, changing nothing', async () => {
    const client = await signIn('vic@fabrikam.test');
    const userId = (await me(client)).user.id;
    await behindTheAppsBack(`update user_profiles set preferences = '{}' where user_id = ?`, [userId]);
    await updated(client, { preferences: { theme: { mode: 'dark', accent: 'teal' }, language: 'en' } });
    const merged = await updated(client, { preferences: { theme: { mode: 'light' }, language: null, timezone: 'Europe/Paris' } });
    expect(merged.preferences).toEqual({ theme: { mode: 'light' }, timezone: 'Europe/Paris' });
    expect((await profileRow(userId)).preferences).toEqual({ theme: { mode: 'light' }, timezone: 'Europe/Paris' });

    const half = 'x'.repeat(PROFILE_PREFERENCES_MAX_BYTES / 2);
    await updated(client, { preferences: { a: half } });
    const over = await updateOverHttp(client, { preferences: { b: half }, displayName: 'Not stored' });
    expect(over.status).toBe(400);
    expect(over.body.error?.message).toMatch(/^preferences: merged with the stored ones they would be \d+ bytes as JSON; the limit is 16384/);
    expect(await profileRow(userId)).toMatchObject({ display_name: 'Vic', preferences: { theme: { mode: 'light' }, timezone: 'Europe/Paris', a: half } });
    // Removing one and adding the other in the same call fits.
    await updated(client, { preferences: { a: null, b: half } });
    expect(Object.keys((await profileRow(userId)).preferences).sort()).toEqual(['b', 'theme', 'timezone']);
  });

  it('refuses a number beyond JSON in preferences (1e400 reads as Infinity), naming where it is, changing nothing', async () => {
    const client = await signIn('uma@contoso.test');
    const userId = (await me(client)).user.id;
    await behindTheAppsBack(`update user_profiles set preferences = '{"zoom":1}' where user_id = ?`, [userId]);
    const before = await profileRow(userId);
    // Written by hand: JSON.stringify would write the Infinity as null, the very thing that was stored.
    const answer = await client.request(`${app.url}/trpc/auth.updateProfile`, {
      method: 'POST',
      headers: { origin: app.url, 'x-mreg-csrf': '1', 'content-type': 'application/json' },
      body: '{"displayName":"Not stored","preferences":{"zoom":{"levels":[1,1e400]}}}',
    });
    expect(answer.status, answer.body).toBe(400);
    expect(JSON.parse(answer.body).error).toMatchObject({ message: 'preferences.zoom.levels.1: Infinity is not a JSON number', data: { code: 'BAD_REQUEST' } });
    expect(await profileRow(userId)).toEqual(before);
  });

  it('loses no key when merges run at the same time (the row is locked for the merge)', async () => {
    const client = await signIn('ada@contoso.test');
    const userId = (await me(client)).user.id;
    await behindTheAppsBack(`update user_profiles set preferences = '{}' where user_id = ?`, [userId]);
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    const answers = await Promise.all(keys.map((key) => updateOverHttp(client, { preferences: { [key]: key } })));
    expect(answers.map((answer) => answer.status)).toEqual(keys.map(() => 200));
    expect((await profileRow(userId)).preferences).toEqual(Object.fromEntries(keys.map((key) => [key, key])));
  });

  it("makes the person's sessions carry the new display name", async () => {
    const signedIn = await signInAs(app.url, 'uma@contoso.test', { client: new CookieClient() });
    await me(signedIn.client);
    const entryKey = `session:${hashToken(signedIn.token)}`;
    await updated(signedIn.client, { displayName: 'Uma the Builder' });
    await me(signedIn.client);
    expect(await app.cache.get(entryKey)).toMatchObject({ profile: { displayName: 'Uma the Builder' } });
  });

  it('is UNAUTHORIZED signed out', async () => {
    const answer = await updateOverHttp(new CookieClient(), { displayName: 'Nobody' });
    expect(answer.status).toBe(401);
    expect(answer.body.error?.data.code).toBe('UNAUTHORIZED');
  });
});

describe('the profile cache', () => {
  it('answers auth.user from the cache without reading the database, until a write through the API', async () => {
    const client = await signIn('ada@contoso.test');
    const { user, profile } = await me(client);
    expect(await app.cache.get(`profile:${user.id}`)).toEqual(profile);

    await behindTheAppsBack(`update user_profiles set display_name = 'Changed Behind' where user_id = ?`, [user.id]);
    expect((await me(client)).profile.displayName).toBe(profile.displayName);

    await updated(client, { bio: 'Written through the API' });
    const after = (await me(client)).profile;
    expect(after).toMatchObject({ displayName: 'Changed Behind', bio: 'Written through the API' });
    expect(await app.cache.get(`profile:${user.id}`)).toEqual(after);
  });

  it('reads the database every time with MREG_FASTMCP_PROFILE_CACHE_TTL=0', async () => {
    const client = await signIn('vic@fabrikam.test');
    const userId = (await me(client)).user.id;
    const em = app.db.orm.em.fork();
    const uncached: ProfileDeps = { em, cache: app.cache, ttlSeconds: 0, sessions: sessionDeps({ em, cache: app.cache, clock: () => new Date(), settings: app.settings }) };
    await app.cache.delete(`profile:${userId}`);
    await readProfile(uncached, userId);
    expect(await app.cache.get(`profile:${userId}`)).toBeUndefined();
    await behindTheAppsBack(`update user_profiles set bio = 'fresh' where user_id = ?`, [userId]);
    expect((await readProfile(uncached, userId)).bio).toBe('fresh');
  });

  /**
   * The classic race: a reader reads the database, a writer commits and invalidates, then the reader
   * stores what it read. The cache handed to the reader runs a write just before the reader's store.
   */
  function writeJustBeforeStore(cache: Cache, write: () => Promise<unknown>): Cache {
    let armed = true;
    return new Proxy(cache, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        if (property !== 'add' && property !== 'replace' && property !== 'set') return value.bind(target);
        return async (...args: unknown[]) => {
          if (armed) {
            armed = false;
            await write();
          }
          return value.apply(target, args);
        };
      },
    });
  }

  it.each([
    ['finds the key empty', true],
    ['finds the stale marker of an earlier write', false],
  ])('never leaves an old profile in the cache when a reader that %s stores after a write', async (_name, emptyKey) => {
    const client = await signIn('uma@contoso.test');
    const userId = (await me(client)).user.id;
    const writerEm = app.db.orm.em.fork();
    const writer = profileDeps({ em: writerEm, cache: app.cache, clock: () => new Date(), settings: app.settings });
    await updateProfile(writer, userId, { displayName: 'Before the race' });
    const key = `profile:${userId}`;
    if (emptyKey) await app.cache.delete(key);
    else expect(await app.cache.get(key)).toHaveProperty('stale');

    const readerEm = app.db.orm.em.fork();
    const racing = writeJustBeforeStore(app.cache, () => updateProfile(writer, userId, { displayName: 'After the race' }));
    const reader: ProfileDeps = { ...profileDeps({ em: readerEm, cache: app.cache, clock: () => new Date(), settings: app.settings }), cache: racing };
    expect((await readProfile(reader, userId)).displayName).toBe('Before the race');

    const cached = await app.cache.get<Profile>(`profile:${userId}`);
    expect(cached?.displayName).not.toBe('Before the race');
    expect((await me(client)).profile.displayName).toBe('After the race');
  });
});

describe('random input to auth.updateProfile over HTTP', () => {
  it('is answered 200 or 400, never anything else', async () => {
    const client = await signIn('uma@contoso.test');
    const userId = (await me(client)).user.id;
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 1100 }), fc.constant(null));
    const input = fc.oneof(
      fc.record(
        { displayName: text, bio: text, preferences: fc.oneof(fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ stringUnit: 'binary', maxDepth: 35 })), fc.jsonValue({ stringUnit: 'binary' })) },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ stringUnit: 'binary' }),
    );
    await fc.assert(
      fc.asyncProperty(input, async (value) => {
        await behindTheAppsBack(`update user_profiles set preferences = '{}' where user_id = ?`, [userId]);
        const answer = await updateOverHttp(client, value);
        expect([200, 400], JSON.stringify(answer.body).slice(0, 500)).toContain(answer.status);
        if (answer.status === 200) ZProfile.parse(answer.body.result!.data);
      }),
      { numRuns: 50 },
    );
    expect(app.logs.filter((line) => line.includes('"level":50'))).toEqual([]);
  });
});
