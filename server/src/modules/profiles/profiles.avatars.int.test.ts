import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AVATAR_MAX_BYTES, ZProfile, type Profile } from '@mreg/shared';
import { CookieClient, type Hop } from '../../testing/cookie-client';
import { startTestApp, type TestApp } from '../../testing/harness';
import { signInAs } from '../../testing/sign-in';
import { hashToken } from '../../lib/tokens';
import { AVATAR_UPLOADS_PER_MINUTE } from '../../http/avatars';
import { gifImage, HTML_PAGE, jpegImage, pngImage, pngOfOneColour, SVG_IMAGE, webpImage } from './test-images';
import { app, ENV, me, profileRow, signIn, updateOverHttp, useProfilesApp } from './profiles.testing';

/**
 * Avatars through the real app over HTTP (see profiles.int.test.ts): PUT/GET/DELETE /avatars with the
 * CSRF rule, profiles or avatar storage switched off, and the avatars migration down and up again.
 */

useProfilesApp();

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
async function avatarRow(userId: string, on = app) {
  const [row] = await on.db.orm.em.fork().execute(`select content_type, sha256, size, octet_length(bytes) as length from user_avatars where user_id = ?`, [userId]);
  return row as { content_type: string; sha256: string; size: number; length: number } | undefined;
}

/** What a decoder makes of served bytes: the format, the size, and the first pixel (RGB). */
async function decoded(bytes: Buffer) {
  const { format, width, height, exif } = await sharp(bytes).metadata();
  const pixels = await sharp(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer();
  return { format, width, height, exif, rgb: [...pixels.subarray(0, 3)] };
}

describe('avatars', () => {
  it.each([
    ['PNG', pngImage(0x80), 'image/png', 'image/png', 'png', [0x80, 0x80, 0x80]],
    ['JPEG', jpegImage(), 'image/jpeg', 'application/octet-stream', 'jpeg', [0x80, 0x80, 0x80]],
    ['WebP', webpImage([255, 255, 0, 0]), 'image/webp', 'image/gif', 'webp', [255, 0, 0]],
  ])('stores a %s (type from the bytes, whatever Content-Type says), encoded again, and serves it to signed-in people at a URL of its hash', async (_name, bytes, type, declared, format, rgb) => {
    const ada = await signIn('ada@contoso.test');
    const { user } = await me(ada); // the profile is cached now: the upload must invalidate it

    const stored = await upload(ada, bytes, { 'content-type': declared });
    expect(stored.status, stored.body).toBe(200);
    const profile = ZProfile.parse(json(stored));
    expect((await me(ada)).profile.avatarUrl).toBe(profile.avatarUrl);

    // Any signed-in person may see it: the same picture, in the same type, at the URL of its own hash.
    const uma = await signIn('uma@contoso.test');
    const served = await fetchAvatar(uma, profile.avatarUrl!);
    expect(served.status).toBe(200);
    const picture = await decoded(served.bytes);
    expect(picture).toMatchObject({ format, width: 1, height: 1 });
    // JPEG and WebP are encoded lossily again: the colour within a step or two.
    picture.rgb.forEach((value, i) => expect(Math.abs(value - rgb[i]!), `channel ${i}: ${picture.rgb}`).toBeLessThanOrEqual(2));
    const hash = sha256(served.bytes);
    expect(profile.avatarUrl).toBe(`/avatars/${user.id}/${hash.slice(0, 16)}`);
    expect(await avatarRow(user.id)).toEqual({ content_type: type, sha256: hash, size: served.bytes.length, length: served.bytes.length });
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

  it('takes exactly 1 MiB, and keeps the image alone', async () => {
    const ada = await signIn('ada@contoso.test');
    const padded = Buffer.concat([pngImage(), Buffer.alloc(AVATAR_MAX_BYTES - pngImage().length)]);
    const stored = await upload(ada, padded);
    expect(stored.status, stored.body).toBe(200);
    const served = (await fetchAvatar(ada, json(stored).avatarUrl!)).bytes;
    expect(served.length).toBeLessThan(1000);
    expect(await decoded(served)).toMatchObject({ format: 'png', width: 1, height: 1 });
  });

  it('keeps a valid PNG and drops the script after its end: what is served decodes, and holds no "<script"', async () => {
    const ada = await signIn('ada@contoso.test');
    const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#2a6fdb' } }).png().toBuffer();
    const stored = await upload(ada, Buffer.concat([png, Buffer.from('<script>fetch("/trpc/auth.user")</script>')]));
    expect(stored.status, stored.body).toBe(200);
    const served = await fetchAvatar(ada, json(stored).avatarUrl!);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.bytes.includes('<script')).toBe(false);
    // PNG stays lossless: the very colour.
    expect(await decoded(served.bytes)).toMatchObject({ format: 'png', width: 16, height: 16, rgb: [0x2a, 0x6f, 0xdb] });
  });

  it('refuses a PNG header followed by HTML (400, saying so), keeping the avatar it had', async () => {
    const ada = await signIn('ada@contoso.test');
    const { user } = await me(ada);
    const kept = json(await upload(ada, webpImage())).avatarUrl!;
    // Signature and image header of a real PNG: as far as the first bytes go, a PNG.
    const disguised = Buffer.concat([pngImage().subarray(0, 33), HTML_PAGE]);
    const refused = await upload(ada, disguised, { 'content-type': 'image/png' });
    expect(refused.status).toBe(400);
    expect(json(refused).error).toBe('The file starts like a PNG image but cannot be read as one: it is damaged, cut short, or not an image');
    expect((await me(ada)).profile.avatarUrl).toBe(kept);
    expect((await avatarRow(user.id))?.content_type).toBe('image/webp');
  });

  it('strips EXIF (GPS position included) from a JPEG, and turns it upright as the EXIF said', async () => {
    const ada = await signIn('ada@contoso.test');
    // 48° 51' 24" N, 2° 21' 3" E, as EXIF keeps it: unsigned rationals (numerator, denominator).
    const latitude = Buffer.alloc(24);
    [48, 1, 51, 1, 2400, 100].forEach((value, i) => latitude.writeUInt32LE(value, i * 4));
    const photo = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#cc3300' } })
      .withMetadata({ orientation: 6 })
      .withExifMerge({
        IFD0: { ImageDescription: 'where-ada-lives' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 300/100' },
      })
      .jpeg()
      .toBuffer();
    const sent = await sharp(photo).metadata();
    expect(sent.orientation).toBe(6);
    expect(sent.exif?.includes(latitude)).toBe(true);
    expect(photo.includes('where-ada-lives')).toBe(true);

    const stored = await upload(ada, photo);
    expect(stored.status, stored.body).toBe(200);
    const served = (await fetchAvatar(ada, json(stored).avatarUrl!)).bytes;
    expect(served.includes(latitude)).toBe(false);
    expect(served.includes('where-ada-lives')).toBe(false);
    expect(served.includes('Exif')).toBe(false);
    const shown = await sharp(served).metadata();
    expect(shown).toMatchObject({ format: 'jpeg', width: 20, height: 40 });
    expect(shown.exif).toBeUndefined();
    expect(shown.orientation).toBeUndefined();
  });

  it('refuses an image that declares 20000 × 20000 pixels (a decompression bomb) with 400, without decoding it', async () => {
    const ada = await signIn('ada@contoso.test');
    const { user } = await me(ada);
    const kept = json(await upload(ada, pngImage())).avatarUrl!;
    const bomb = pngOfOneColour(20_000, 20_000);
    expect(bomb.length).toBeLessThan(AVATAR_MAX_BYTES);
    const started = performance.now();
    const refused = await upload(ada, bomb);
    expect(refused.status).toBe(400);
    expect(json(refused).error).toBe('The image is 20000 × 20000 pixels; an avatar may have at most 16777216 pixels (4096 × 4096)');
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await me(ada)).profile.avatarUrl).toBe(kept);
    expect((await avatarRow(user.id))?.content_type).toBe('image/png');
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

describe('avatar uploads', () => {
  it(`are at most ${AVATAR_UPLOADS_PER_MINUTE} a minute per session: then 429 with Retry-After, the body unread and nothing stored`, async () => {
    const vic = await signIn('vic@fabrikam.test');
    for (let i = 0; i < AVATAR_UPLOADS_PER_MINUTE; i++) expect((await upload(vic, pngImage(i))).status, `upload ${i + 1}`).toBe(200);
    const { user } = await me(vic);
    const before = await avatarRow(user.id);
    const refused = await upload(vic, pngImage(0xff));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(json(refused).error).toMatch(new RegExp(`^Too many avatar uploads from this session: at most ${AVATAR_UPLOADS_PER_MINUTE} a minute`));
    expect(await avatarRow(user.id)).toEqual(before);
    // Another session has its own count.
    expect((await upload(await signIn('vic@fabrikam.test'), pngImage(0x40))).status).toBe(200);
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
