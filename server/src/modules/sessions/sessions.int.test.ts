import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { SessionInfo, SessionSummary } from '@mreg/shared';
import { databaseMode, testRedisUrl } from '../../testing/harness';
import { signOut, trpcMutation, trpcQuery } from '../../testing/sign-in';
import { rotateToken, sessionDeps } from './sessions.store';
import { hashToken } from '../../lib/tokens';
import { resolveSession } from './sessions.validate';
import { app, browser, CHROME, clock, FIREFOX, holding, HOUR, iso, me, MINUTE, row, signIn, status, useSessionsApp } from './sessions.testing';

/**
 * Sessions as DESIGN.md's security model has them, through the real app over HTTP: the cache in
 * front of the database, the lifetime rules driven by a clock the tests move, revocation on every
 * instance, clean-up, rotation, and the session procedures.
 */

useSessionsApp();

describe(`the session cache (${databaseMode}, ${testRedisUrl ? 'Redis' : 'in-process cache'})`, () => {
  it('caches the session context at first use, answers from it, and rebuilds it from the database after a miss', async () => {
    const { client, token } = await signIn('uma@contoso.test');
    const key = `session:${hashToken(token)}`;
    expect(await app.cache.get(key)).toBeUndefined();

    const first = await me(client);
    expect(await app.cache.get(key)).toMatchObject({
      sessionId: first.sessionInfo.sessionId,
      userId: first.user.id,
      user: { email: 'uma@contoso.test', name: 'Uma Umarova' },
      profile: { displayName: null, avatarUrl: null },
      tenantId: first.tenantContext!.tenantId,
      rotationDue: false,
      expiresAt: Date.parse(first.sessionInfo.expiresAt),
    });
    // The standing in the tenant is cached on its own, per user and tenant.
    expect(await app.cache.get(`tenant-context:${first.tenantContext!.tenantId}:${first.user.id}`)).toEqual({ context: first.tenantContext });

    // Changed behind the app's back: a hit does not read the database...
    const em = app.db.orm.em.fork();
    await em.execute(`update users set name = 'Uma Renamed' where id = ?`, [first.user.id]);
    try {
      expect((await me(client)).user.name).toBe('Uma Umarova');
      // ...a miss does, and caches again.
      await app.cache.delete(key);
      expect((await me(client)).user.name).toBe('Uma Renamed');
      expect(await app.cache.get(key)).toMatchObject({ user: { name: 'Uma Renamed' } });
    } finally {
      await em.execute(`update users set name = 'Uma Umarova' where id = ?`, [first.user.id]);
    }
  });

  it('never caches a session for longer than it has left, nor for more than 15 minutes', async () => {
    const { client, token } = await signIn('vic@fabrikam.test');
    await me(client);
    const entry = await app.cache.get<{ expiresAt: number }>(`session:${hashToken(token)}`);
    expect(entry?.expiresAt).toBe(clock().getTime() + 24 * HOUR);
    if (app.cache.kind !== 'redis') return;
    const redis = new Redis(testRedisUrl!);
    try {
      const ttl = await redis.ttl(`${app.cacheNamespace}:session:${hashToken(token)}`);
      expect(ttl).toBeGreaterThan(14 * 60);
      expect(ttl).toBeLessThanOrEqual(15 * 60);
      // A session 30 s before its absolute end (no renewal can help) is cached for at most 30 s.
      const soon = await signIn('vic@fabrikam.test');
      const now = clock().getTime();
      await app.db.orm.em
        .fork()
        .execute(`update enhanced_sessions set created_at = ?, expires_at = ? where session_token = ?`, [
          new Date(now - 48 * HOUR + 30_000),
          new Date(now + 30_000),
          hashToken(soon.token),
        ]);
      await me(soon.client);
      const short = await redis.ttl(`${app.cacheNamespace}:session:${hashToken(soon.token)}`);
      expect(short).toBeGreaterThan(0);
      expect(short).toBeLessThanOrEqual(30);
    } finally {
      redis.disconnect();
    }
  });
});

describe('lifetime: expiry, sliding renewal, absolute cap and idle timeout, on the server at every request', () => {
  it('expires 24 h after sign-in when no request came within the last 2 h', async () => {
    const { client, token } = await signIn('uma@contoso.test');
    const t0 = clock().getTime();
    for (const at of [10 * HOUR, 20 * HOUR]) {
      clock.set(new Date(t0 + at));
      expect((await me(client)).sessionInfo.expiresAt).toBe(iso(t0 + 24 * HOUR));
    }
    clock.set(new Date(t0 + 24 * HOUR));
    expect(await status(client)).toBe(401);
    // The database alone says the same.
    await app.cache.delete(`session:${hashToken(token)}`);
    expect(await status(client)).toBe(401);
  });

  it('slides within the last 2 h, in the cache and the database, but never beyond the absolute 48 h', async () => {
    const { client, token } = await signIn('uma@contoso.test');
    const t0 = clock().getTime();
    const expiryAt = async (at: number) => {
      clock.set(new Date(t0 + at));
      return (await me(client)).sessionInfo;
    };
    expect((await expiryAt(10 * HOUR)).expiresAt).toBe(iso(t0 + 24 * HOUR));
    expect((await expiryAt(20 * HOUR)).expiresAt).toBe(iso(t0 + 24 * HOUR));
    const renewed = await expiryAt(22.5 * HOUR);
    expect(renewed.expiresAt).toBe(iso(t0 + 46.5 * HOUR));
    expect(renewed.absoluteExpiresAt).toBe(iso(t0 + 48 * HOUR));
    expect((await row(token))!.expiresAt).toBe(t0 + 46.5 * HOUR);
    expect((await expiryAt(34 * HOUR)).expiresAt).toBe(iso(t0 + 46.5 * HOUR));
    // A renewal now would reach 68.6 h: the absolute lifetime stops it at 48 h.
    expect((await expiryAt(44.6 * HOUR)).expiresAt).toBe(iso(t0 + 48 * HOUR));
    expect((await expiryAt(47.9 * HOUR)).expiresAt).toBe(iso(t0 + 48 * HOUR));
    clock.set(new Date(t0 + 48 * HOUR));
    expect(await status(client)).toBe(401);
  });

  it('ends a session unused for 12 h, however long it had left', async () => {
    const { client, token } = await signIn('vic@fabrikam.test');
    const t0 = clock().getTime();
    clock.set(new Date(t0 + 11 * HOUR + 59 * MINUTE));
    expect((await me(client)).sessionInfo.idleTimeoutMinutes).toBe(720);
    clock.set(new Date(t0 + 23 * HOUR + 59 * MINUTE));
    expect(await status(client)).toBe(401);
    await app.cache.delete(`session:${hashToken(token)}`);
    expect(await status(client)).toBe(401);
  });

  it('a lost activity record in the cache does not end a session the database knows was used', async () => {
    const { client, token } = await signIn('uma@contoso.test');
    const t0 = clock().getTime();
    for (const at of [2 * HOUR, 3 * HOUR]) {
      clock.set(new Date(t0 + at));
      await me(client);
    }
    expect((await row(token))!.lastActivity).toBe(t0 + 3 * HOUR);
    // The cached entry was built at 2 h from the database's t0; the record of later use is gone.
    await app.cache.delete(`session:${hashToken(token)}:seen`);
    clock.set(new Date(t0 + 12.5 * HOUR));
    expect(await status(client)).toBe(200);
  });

  it('logout and revocation still reach a session used within the last minute before its idle timeout', async () => {
    for (const end of ['logout', 'revokeSession'] as const) {
      const { client, token } = await signIn('vic@fabrikam.test');
      const t0 = clock().getTime();
      // Used at 30 s: in the cache, not yet in the database (written at most once a minute).
      clock.set(new Date(t0 + 30_000));
      await me(client);
      expect((await row(token))!.lastActivity).toBe(t0);
      clock.set(new Date(t0 + 12 * HOUR + 10_000));
      const copy = holding(token);
      expect(await status(copy)).toBe(200);
      if (end === 'logout') {
        const out = await signOut(client, app.url);
        expect(out.status).toBe(200);
      } else {
        const other = await signIn('vic@fabrikam.test');
        const list = (await trpcQuery(other.client, app.url, 'auth.sessions')).body.result!.data as SessionSummary[];
        const id = (await row(token))!.id;
        expect(list.map((s) => s.sessionId)).toContain(id);
        expect((await trpcMutation(other.client, app.url, 'auth.revokeSession', { sessionId: id })).status).toBe(200);
      }
      expect((await row(token))!.revoked).toBe(true);
      expect(await status(copy)).toBe(401);
    }
  });

  it('auth.refreshSession applies the renewal rule and reports the session', async () => {
    const { client } = await signIn('ada@contoso.test');
    const t0 = clock().getTime();
    clock.set(new Date(t0 + HOUR));
    const early = await trpcMutation(client, app.url, 'auth.refreshSession');
    expect(early.status).toBe(200);
    expect(early.body.result!.data).toMatchObject({ expiresAt: iso(t0 + 24 * HOUR), lastActivity: iso(t0 + HOUR) });
    clock.set(new Date(t0 + 12 * HOUR));
    await me(client);
    clock.set(new Date(t0 + 23 * HOUR));
    const late = (await trpcMutation(client, app.url, 'auth.refreshSession')).body.result!.data as SessionInfo;
    expect(late).toMatchObject({ expiresAt: iso(t0 + 47 * HOUR), absoluteExpiresAt: iso(t0 + 48 * HOUR), lastActivity: iso(t0 + 23 * HOUR) });
    expect((await me(client)).sessionInfo.expiresAt).toBe(late.expiresAt);
  });

  it('keeps last activity current in the cache and writes it to the database at most once a minute', async () => {
    const { client, token } = await signIn('uma@contoso.test');
    const t0 = clock().getTime();
    const currentActivity = async () => {
      const list = (await trpcQuery(client, app.url, 'auth.sessions')).body.result!.data as SessionSummary[];
      return list.find((s) => s.isCurrent)!.lastActivity;
    };
    clock.set(new Date(t0 + 10_000));
    await me(client);
    expect((await row(token))!.lastActivity).toBe(t0);
    clock.set(new Date(t0 + 50_000));
    expect(await currentActivity()).toBe(iso(t0 + 50_000));
    expect((await row(token))!.lastActivity).toBe(t0);
    clock.set(new Date(t0 + 61_000));
    await me(client);
    expect((await row(token))!.lastActivity).toBe(t0 + 61_000);
    clock.set(new Date(t0 + 90_000));
    await me(client);
    expect((await row(token))!.lastActivity).toBe(t0 + 61_000);
  });
});

describe('revocation and rotation', () => {
  it('rotation gives the same session a new token and kills the old one at once', async () => {
    const { client, token } = await signIn('ada@contoso.test');
    const before = await me(client);
    const deps = sessionDeps({ em: app.db.orm.em.fork(), cache: app.cache, clock, settings: app.settings });
    const session = await resolveSession(deps, token);
    const fresh = (await rotateToken(deps, session!))!;

    expect(fresh).not.toBe(token);
    expect(await status(client)).toBe(401);
    const after = await me(holding(fresh));
    expect(after.sessionInfo.sessionId).toBe(before.sessionInfo.sessionId);
    expect(after.sessionInfo.createdAt).toBe(before.sessionInfo.createdAt);
    expect((await row(fresh))!.id).toBe(before.sessionInfo.sessionId);
    expect(await row(token)).toBeUndefined();
    // The old token cannot be rotated again.
    expect(await rotateToken(deps, session!)).toBeNull();
  });

  it('lists only my live sessions, newest activity first, with device, address and the current one marked', async () => {
    const older = await signIn('vic@fabrikam.test', browser(CHROME));
    clock.advance(1000);
    const newer = await signIn('vic@fabrikam.test', browser(FIREFOX));
    await signIn('uma@contoso.test');
    clock.advance(1000);
    const list = (await trpcQuery(newer.client, app.url, 'auth.sessions')).body.result!.data as SessionSummary[];
    const mine = [await row(newer.token), await row(older.token)].map((r) => r!.id);
    expect(list.slice(0, 2)).toMatchObject([
      { sessionId: mine[0], device: 'Firefox 128 on Linux', userAgent: FIREFOX, isCurrent: true, lastActivity: iso(clock().getTime()) },
      { sessionId: mine[1], device: 'Chrome 131 on Windows 10', userAgent: CHROME, isCurrent: false },
    ]);
    expect(list[0]!.ipAddress).toMatch(/127\.0\.0\.1/);
    expect(list.filter((s) => s.isCurrent)).toHaveLength(1);
    const times = list.map((s) => s.lastActivity);
    expect([...times].sort().reverse()).toEqual(times);
    // Nobody else's session is listed.
    const ids = await app.db.orm.em
      .fork()
      .execute(`select s.id from enhanced_sessions s join users u on u.id = s.user_id where u.email = 'vic@fabrikam.test'`);
    expect(list.map((s) => s.sessionId).every((id) => ids.some((r) => r.id === id))).toBe(true);
  });

  it("another user's session id cannot be revoked: NOT_FOUND, and nothing changes", async () => {
    const ada = await signIn('ada@contoso.test');
    const uma = await signIn('uma@contoso.test');
    const adaId = (await me(ada.client)).sessionInfo.sessionId;
    for (const sessionId of [adaId, randomUUID()]) {
      const refused = await trpcMutation(uma.client, app.url, 'auth.revokeSession', { sessionId });
      expect(refused.status).toBe(404);
      expect(refused.body.error).toMatchObject({ data: { code: 'NOT_FOUND' }, message: `You have no active session ${sessionId}` });
    }
    expect((await row(ada.token))!.revoked).toBe(false);
    expect(await status(ada.client)).toBe(200);
    const umaList = (await trpcQuery(uma.client, app.url, 'auth.sessions')).body.result!.data as SessionSummary[];
    expect(umaList.map((s) => s.sessionId)).not.toContain(adaId);

    const bad = await trpcMutation(uma.client, app.url, 'auth.revokeSession', { sessionId: 'not-a-uuid' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ message: 'sessionId: must be a session id (a UUID)', data: { fieldErrors: { sessionId: ['must be a session id (a UUID)'] } } });
  });

  it('revokes one of my sessions, then all the others, each refused on its very next request', async () => {
    const here = await signIn('ada@contoso.test');
    // Ada's sessions from the tests above end first, so that the counts below are this test's own.
    await trpcMutation(here.client, app.url, 'auth.revokeOtherSessions');
    const [a, b, c] = [await signIn('ada@contoso.test'), await signIn('ada@contoso.test'), await signIn('ada@contoso.test')];
    for (const other of [a, b, c]) expect(await status(other.client)).toBe(200);

    const one = await trpcMutation(here.client, app.url, 'auth.revokeSession', { sessionId: (await row(a.token))!.id });
    expect(one.body.result!.data).toEqual({ sessionId: (await row(a.token))!.id, signedOut: false });
    expect(await status(a.client)).toBe(401);
    expect(await status(b.client)).toBe(200);

    const rest = await trpcMutation(here.client, app.url, 'auth.revokeOtherSessions');
    expect(rest.body.result!.data).toEqual({ revoked: 2 });
    expect([await status(b.client), await status(c.client), await status(here.client)]).toEqual([401, 401, 200]);
    expect((await trpcMutation(here.client, app.url, 'auth.revokeOtherSessions')).body.result!.data).toEqual({ revoked: 0 });

    // Revoking the current session signs out: the cookie is cleared.
    const self = await trpcMutation(here.client, app.url, 'auth.revokeSession', { sessionId: (await row(here.token))!.id });
    expect(self.body.result!.data).toMatchObject({ signedOut: true });
    expect(self.hop.setCookies.find((cookie) => cookie.key === 'mreg_session')?.value).toBe('');
    expect(await status(holding(here.token))).toBe(401);
  });

  it('refuses cookie-authenticated mutations from another origin or without the header, and changes nothing', async () => {
    const here = await signIn('uma@contoso.test');
    const other = await signIn('uma@contoso.test');
    const refusals = [
      [{ origin: 'http://evil.example' }, 'http://evil.example'],
      [{ 'x-mreg-csrf': undefined }, 'x-mreg-csrf: 1 is missing'],
      [{ origin: undefined, 'sec-fetch-site': 'cross-site' }, 'Sec-Fetch-Site is cross-site'],
      [{ origin: undefined }, 'no Origin header'],
    ] as const;
    for (const [headers, says] of refusals) {
      const refused = await trpcMutation(here.client, app.url, 'auth.revokeOtherSessions', undefined, headers);
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ message: expect.stringContaining(says), data: { code: 'FORBIDDEN' } });
    }
    expect(await status(other.client)).toBe(200);

    // From the app's own pages: by Origin, or by Sec-Fetch-Site where a browser sends no Origin.
    const sameSite = await trpcMutation(here.client, app.url, 'auth.revokeOtherSessions', undefined, { origin: undefined, 'sec-fetch-site': 'same-origin' });
    expect(sameSite.status).toBe(200);
    expect(await status(other.client)).toBe(401);
    expect((await trpcMutation(here.client, app.url, 'auth.refreshSession')).status).toBe(200);
  });
});
