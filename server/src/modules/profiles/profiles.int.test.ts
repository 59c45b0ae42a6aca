import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AVATAR_MAX_BYTES, PROFILE_PREFERENCES_MAX_BYTES, ZProfile, type AuthUser, type Profile } from '@mreg/shared';
import type { Cache } from '../../cache/cache';
import { CookieClient, type Hop } from '../../testing/cookie-client';
import { databaseMode, startTestApp, testRedisUrl, type TestApp } from '../../testing/harness';
import { signInAs, trpcMutation, trpcQuery } from '../../testing/sign-in';
import { hashToken } from '../../lib/tokens';
import { sessionDeps } from '../sessions/sessions.store';
import { profileDeps, readProfile, updateProfile, type ProfileDeps } from './profiles.service';
import { gifImage, HTML_PAGE, jpegImage, pngImage, SVG_IMAGE, webpImage } from './test-images';

/**
 * Profiles and avatars through the real app over HTTP: auth.updateProfile, the profile cache in
 * front of the database (and its race with writers), PUT/GET/DELETE /avatars with the CSRF rule,
 * and both feature switches.
 */

const ENV = { MREG_SIGN_IN_RATE_LIMIT: '1000', MREG_FASTMCP_PROFILE_CACHE_TTL: '3600' };

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: ENV });
});
afterAll(async () => {
  await app?.close();
});

const signIn = async (email: string, on = app) => (await signInAs(on.url, email, { client: new CookieClient() })).client;

async function me(client: CookieClient, on = app): Promise<AuthUser> {
  const answer = await trpcQuery(client, on.url, 'auth.user');
  if (answer.status !== 200) throw new Error(`auth.user answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.result!.data as AuthUser;
}

const updateOverHttp = (client: CookieClient, input: unknown, on = app) => trpcMutation(client, on.url, 'auth.updateProfile', input);

async function updated(client: CookieClient, input: unknown): Promise<Profile> {
  const answer = await updateOverHttp(client, input);
  if (answer.status !== 200) throw new Error(`auth.updateProfile answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return ZProfile.parse(answer.body.result!.data);
}

/** A request to /avatars as the app's own pages send it; `headers` replace those (undefined drops one). */
function avatarRequest(client: CookieClient, method: 'PUT' | 'DELETE', body?: Buffer, headers: Record<string, string | undefined> = {}, on = app): Promise<Hop> {
  const sent = Object.fromEntries(
    Object.entries({ origin: new URL(on.url).origin, 'x-mreg-csrf': '1', 'content-type': 'application/octet-stream', ...headers }).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  return client.request(`${on.url}/avatars`, { method, headers: sent, body });
}
const upload = (client: CookieClient, bytes: Buffer, headers: Record<string, string | undefined> = {}, on = app) => avatarRequest(client, 'PUT', bytes, headers, on);

/** GET an avatar, keeping its bytes intact (CookieClient reads bodies as text). */
async function fetchAvatar(client: CookieClient | undefined, path: string, headers: Record<string, string> = {}, on = app) {
  const url = `${on.url}${path}`;
  const cookie = client ? await client.jar.getCookieString(url) : '';
  const response = await fetch(url, { headers: { ...(cookie ? { cookie } : {}), ...headers } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

const json = (hop: Hop) => JSON.parse(hop.body) as { error?: string } & Partial<Profile>;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function profileRow(userId: string, on = app) {
  const [row] = await on.db.orm.em.fork().execute(`select display_name, bio, avatar_url, preferences from user_profiles where user_id = ?`, [userId]);
  return row as { display_name: string | null; bio: string | null; avatar_url: string | null; preferences: Record<string, unknown> };
}
async function avatarRow(userId: string, on = app) {
  const [row] = await on.db.orm.em.fork().execute(`select content_type, sha256, size, octet_length(bytes) as length from user_avatars where user_id = ?`, [userId]);
  return row as { content_type: string; sha256: string; size: number; length: number } | undefined;
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

describe('avatars', () => {
  it.each([
    ['PNG', pngImage(), 'image/png', 'image/png'],
    ['JPEG', jpegImage(), 'image/jpeg', 'application/octet-stream'],
    ['WebP', webpImage(), 'image/webp', 'image/gif'],
  ])('stores a %s (type from the bytes, whatever Content-Type says) and serves it to signed-in people at a URL of its hash', async (_name, bytes, type, declared) => {
    const ada = await signIn('ada@contoso.test');
    const { user } = await me(ada); // the profile is cached now: the upload must invalidate it

    const stored = await upload(ada, bytes, { 'content-type': declared });
    expect(stored.status, stored.body).toBe(200);
    const profile = ZProfile.parse(json(stored));
    const hash = sha256(bytes);
    expect(profile.avatarUrl).toBe(`/avatars/${user.id}/${hash.slice(0, 16)}`);
    expect((await me(ada)).profile.avatarUrl).toBe(profile.avatarUrl);
    expect(await avatarRow(user.id)).toEqual({ content_type: type, sha256: hash, size: bytes.length, length: bytes.length });

    // Any signed-in person may see it.
    const uma = await signIn('uma@contoso.test');
    const served = await fetchAvatar(uma, profile.avatarUrl!);
    expect(served.status).toBe(200);
    expect(served.bytes.equals(bytes)).toBe(true);
    expect(served.headers.get('content-type')).toBe(type);
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(served.headers.get('etag')).toBe(`"${hash}"`);
    expect(served.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");

    // As a browser revalidates on reload (fetch would add Cache-Control: no-cache, which forbids a 304).
    const revalidated = await fetchAvatar(uma, profile.avatarUrl!, { 'if-none-match': `"${hash}"`, 'cache-control': 'max-age=0' });
    expect(revalidated.status).toBe(304);
    expect(revalidated.bytes.length).toBe(0);
  });

  it('takes exactly 1 MiB', async () => {
    const ada = await signIn('ada@contoso.test');
    const padded = Buffer.concat([pngImage(), Buffer.alloc(AVATAR_MAX_BYTES - pngImage().length)]);
    const stored = await upload(ada, padded);
    expect(stored.status, stored.body).toBe(200);
    expect((await fetchAvatar(ada, json(stored).avatarUrl!)).bytes.length).toBe(AVATAR_MAX_BYTES);
  });

  it.each([
    ['a GIF', gifImage(), { 'content-type': 'image/gif' }, /must be a PNG, JPEG or WebP image, and this file is a GIF image/],
    ['an SVG', SVG_IMAGE, { 'content-type': 'image/svg+xml' }, /this file is an SVG image/],
    ['text', Buffer.from('hello, world\n'), { 'content-type': 'text/plain' }, /this file is text/],
    [
      'HTML named avatar.png and sent as image/png',
      HTML_PAGE,
      { 'content-type': 'image/png', 'content-disposition': 'attachment; filename="avatar.png"' },
      /this file is HTML or XML markup\. The type is read from the file's content, not from its name or Content-Type/,
    ],
    ['an empty body', Buffer.alloc(0), {}, /The request body is empty/],
  ])('refuses %s with 400 and the reason, keeping the avatar it had', async (_name, bytes, headers, reason) => {
    const ada = await signIn('ada@contoso.test');
    const { user } = await me(ada);
    const kept = json(await upload(ada, jpegImage())).avatarUrl;
    const refused = await upload(ada, bytes, headers);
    expect(refused.status).toBe(400);
    expect(json(refused).error).toMatch(reason);
    expect((await me(ada)).profile.avatarUrl).toBe(kept);
    expect((await avatarRow(user.id))?.content_type).toBe('image/jpeg');
    expect((await fetchAvatar(ada, kept!)).status).toBe(200);
  });

  it('refuses more than 1 MiB with 413, saying so', async () => {
    const ada = await signIn('ada@contoso.test');
    const oversize = Buffer.concat([pngImage(), Buffer.alloc(AVATAR_MAX_BYTES + 1 - pngImage().length)]);
    const refused = await upload(ada, oversize);
    expect(refused.status).toBe(413);
    expect(json(refused).error).toBe('The image is larger than 1048576 bytes (1 MiB), the most an avatar may be');
  });

  it('serves only the current image: an old hash is 404, as are malformed URLs', async () => {
    const ada = await signIn('ada@contoso.test');
    const old = json(await upload(ada, pngImage(0x10))).avatarUrl!;
    const current = json(await upload(ada, pngImage(0x20))).avatarUrl!;
    expect(current).not.toBe(old);
    expect((await fetchAvatar(ada, current)).status).toBe(200);
    const gone = await fetchAvatar(ada, old);
    expect(gone.status).toBe(404);
    expect(JSON.parse(gone.bytes.toString()).error).toMatch(/No such avatar/);
    const userId = current.split('/')[2]!;
    for (const path of [`/avatars/${userId}/${'0'.repeat(16)}`, `/avatars/not-a-uuid/${current.split('/')[3]}`, `/avatars/${userId}/%25%25`, `/avatars/${userId}/_`]) {
      expect((await fetchAvatar(ada, path)).status, path).toBe(404);
    }
  });

  it('needs a session to see one', async () => {
    const ada = await signIn('ada@contoso.test');
    const url = json(await upload(ada, pngImage())).avatarUrl!;
    const anonymous = await fetchAvatar(undefined, url);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.bytes.toString()).error).toBe('Sign in first: there is no valid session');
    const forged = await fetchAvatar(undefined, url, { cookie: `mreg_session=${'A'.repeat(43)}` });
    expect(forged.status).toBe(401);
  });

  it('deletes the avatar, clears avatarUrl (cache and sessions included), and deleting again is harmless', async () => {
    const signedIn = await signInAs(app.url, 'vic@fabrikam.test', { client: new CookieClient() });
    const vic = signedIn.client;
    const { user } = await me(vic);
    const url = json(await upload(vic, webpImage())).avatarUrl!;
    expect((await me(vic)).profile.avatarUrl).toBe(url);
    expect(await app.cache.get(`session:${hashToken(signedIn.token)}`)).toMatchObject({ profile: { avatarUrl: url } });

    const deleted = await avatarRequest(vic, 'DELETE');
    expect(deleted.status).toBe(200);
    expect(json(deleted).avatarUrl).toBeNull();
    expect((await me(vic)).profile.avatarUrl).toBeNull();
    expect(await app.cache.get(`session:${hashToken(signedIn.token)}`)).toMatchObject({ profile: { avatarUrl: null } });
    expect(await avatarRow(user.id)).toBeUndefined();
    expect((await fetchAvatar(vic, url)).status).toBe(404);
    expect((await avatarRequest(vic, 'DELETE')).status).toBe(200);
  });

  it('refuses upload and delete from another site or without x-mreg-csrf (403, saying why), changing nothing', async () => {
    const ada = await signIn('ada@contoso.test');
    const url = json(await upload(ada, pngImage(0x30))).avatarUrl!;
    const refusals: [Hop, RegExp][] = [
      [await upload(ada, jpegImage(), { origin: 'https://evil.example' }), /comes from https:\/\/evil\.example/],
      [await upload(ada, jpegImage(), { 'x-mreg-csrf': undefined }), /x-mreg-csrf: 1 is missing/],
      [await upload(ada, jpegImage(), { origin: undefined, 'sec-fetch-site': 'cross-site' }), /Sec-Fetch-Site is cross-site/],
      [await avatarRequest(ada, 'DELETE', undefined, { origin: 'https://evil.example' }), /comes from https:\/\/evil\.example/],
      [await avatarRequest(ada, 'DELETE', undefined, { 'x-mreg-csrf': undefined }), /x-mreg-csrf: 1 is missing/],
    ];
    for (const [answer, reason] of refusals) {
      expect(answer.status).toBe(403);
      expect(json(answer).error).toMatch(reason);
    }
    expect((await me(ada)).profile.avatarUrl).toBe(url);
    expect((await fetchAvatar(ada, url)).status).toBe(200);
    // Without a session cookie there is no authority to borrow: plainly signed out.
    expect((await upload(new CookieClient(), pngImage(), { origin: 'https://evil.example' })).status).toBe(401);
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

describe('with profiles or avatar storage switched off', () => {
  let noProfiles: TestApp;
  let noAvatars: TestApp;
  beforeAll(async () => {
    noProfiles = await startTestApp({ env: { ...ENV, MREG_FASTMCP_USER_PROFILES_ENABLED: 'false' } });
    noAvatars = await startTestApp({ env: { ...ENV, MREG_FASTMCP_AVATAR_STORAGE_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await noProfiles?.close();
    await noAvatars?.close();
  });

  it('auth.updateProfile is PRECONDITION_FAILED and every avatar route 404, naming the variable', async () => {
    const client = await signIn('ada@contoso.test', noProfiles);
    const message = 'Profile and preference editing is switched off on this server (MREG_FASTMCP_USER_PROFILES_ENABLED=false)';
    const answer = await updateOverHttp(client, { displayName: 'Ada' }, noProfiles);
    expect(answer.status).toBe(412);
    expect(answer.body.error).toMatchObject({ message, data: { code: 'PRECONDITION_FAILED' } });
    expect((await me(client, noProfiles)).profile.displayName).toBeNull();

    const refusals = [await upload(client, pngImage(), {}, noProfiles), await avatarRequest(client, 'DELETE', undefined, {}, noProfiles)];
    for (const refused of refusals) {
      expect(refused.status).toBe(404);
      expect(json(refused)).toEqual({ error: message });
    }
    const { user } = await me(client, noProfiles);
    const served = await fetchAvatar(client, `/avatars/${user.id}/${'0'.repeat(16)}`, {}, noProfiles);
    expect(served.status).toBe(404);
    expect(JSON.parse(served.bytes.toString())).toEqual({ error: message });
  });

  it('with avatar storage alone off, profiles work and the avatar routes 404, naming the variable', async () => {
    const client = await signIn('ada@contoso.test', noAvatars);
    expect((await updateOverHttp(client, { displayName: ' Ada ' }, noAvatars)).status).toBe(200);
    expect((await me(client, noAvatars)).profile.displayName).toBe('Ada');
    const refused = await upload(client, pngImage(), {}, noAvatars);
    expect(refused.status).toBe(404);
    expect(json(refused)).toEqual({ error: 'Avatar storage is switched off on this server (MREG_FASTMCP_AVATAR_STORAGE_ENABLED=false)' });
    expect((await me(client, noAvatars)).profile.avatarUrl).toBeNull();
  });
});

describe('the avatars migration', () => {
  it("goes down (dropping user_avatars and the profiles' URLs of them) and up again", async () => {
    const ada = await signIn('ada@contoso.test');
    await upload(ada, pngImage());
    const em = app.db.orm.em.fork();
    const hasTable = async () => (await em.execute(`select to_regclass('public.user_avatars') is not null as present`))[0]!.present as boolean;
    expect(await hasTable()).toBe(true);
    await app.db.orm.getMigrator().down({ to: 'Migration20261127000004_tenants' });
    expect(await hasTable()).toBe(false);
    expect(await app.db.migrate()).toContain('Migration20261127000005_avatars');
    expect(await hasTable()).toBe(true);
    const { user } = await me(ada);
    expect(await avatarRow(user.id)).toBeUndefined();
    expect((await profileRow(user.id)).avatar_url).toBeNull();
    expect((await upload(ada, webpImage())).status).toBe(200);
  });
});
