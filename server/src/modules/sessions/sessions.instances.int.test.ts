import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, testRedisUrl, type TestApp } from '../../testing/harness';
import { signOut, trpcMutation, trpcQuery } from '../../testing/sign-in';
import { startTcpProxy, type TcpProxy } from '../../testing/tcp-proxy';
import { createSignInRequest } from './sign-in.service';
import { claimScheduledRun, CLEANUP_LOCK, cleanupSessions } from './sessions.cleanup';
import { createSession, refreshUserSessions, revokeSessionByToken, rotateToken, sessionDeps } from './sessions.store';
import { hashToken } from '../../lib/tokens';
import { resolveSession } from './sessions.validate';
import { app, browser, clock, holding, HOUR, iso, LIFETIME, me, MINUTE, row, signIn, status, useSessionsApp } from './sessions.testing';

/**
 * Sessions across changes, instances and time (see sessions.int.test.ts): what a session carries
 * after a change, two instances on one database and cache, clean-up, the feature switched off, and
 * Redis stopped in the middle.
 */

useSessionsApp();

describe('changes to what a session carries', () => {
  it('a role changed in the database reaches every session of the person at its next request', async () => {
    const first = await signIn('uma@contoso.test');
    const second = await signIn('uma@contoso.test');
    for (const { client } of [first, second]) expect((await me(client)).tenantContext?.role).toBe('member');
    const userId = (await me(first.client)).user.id;
    const em = app.db.orm.em.fork();
    await em.execute(`update user_tenant_memberships set role = 'viewer' where user_id = ?`, [userId]);
    try {
      // Still cached...
      expect((await me(first.client)).tenantContext?.role).toBe('member');
      await refreshUserSessions(sessionDeps({ em, cache: app.cache, clock, settings: app.settings }), userId);
      // ...until the sessions are told to rebuild: then every one shows the change, and caches it again.
      for (const { client, token } of [first, second]) {
        expect((await me(client)).tenantContext).toMatchObject({ role: 'viewer', permissions: ['registry:read', 'members:read'] });
        const { tenantId } = (await app.cache.get<{ tenantId: string }>(`session:${hashToken(token)}`))!;
        expect(await app.cache.get(`tenant-context:${tenantId}:${userId}`)).toMatchObject({ context: { role: 'viewer' } });
      }
    } finally {
      await em.execute(`update user_tenant_memberships set role = 'member' where user_id = ?`, [userId]);
      await refreshUserSessions(sessionDeps({ em, cache: app.cache, clock, settings: app.settings }), userId);
    }
  });

  it('a rebuild never overwrites a tombstone or a newer marker', async () => {
    const { client, token } = await signIn('vic@fabrikam.test');
    const userId = (await me(client)).user.id;
    const deps = sessionDeps({ em: app.db.orm.em.fork(), cache: app.cache, clock, settings: app.settings });
    await refreshUserSessions(deps, userId);
    const key = `session:${hashToken(token)}`;
    const marker = await app.cache.get(key);
    expect(marker).toEqual({ stale: expect.any(String) });
    // A rebuild that saw an older marker, or nothing, leaves it alone.
    expect(await app.cache.replace(key, { stale: 'older' }, { sessionId: 'stale data' }, 60)).toBe(false);
    expect(await app.cache.add(key, { sessionId: 'stale data' }, 60)).toBe(false);
    expect(await app.cache.get(key)).toEqual(marker);
    await revokeSessionByToken(deps, token);
    expect(await app.cache.get(key)).toEqual({ revoked: true });
    expect(await status(client)).toBe(401);
    expect(await app.cache.get(key)).toEqual({ revoked: true });
  });
});

describe('two instances on one database and one cache', () => {
  let peer: TestApp;
  beforeAll(async () => {
    peer = await startTestApp({ clock, env: LIFETIME, sameStoresAs: app });
  });
  afterAll(async () => {
    await peer?.close();
  });

  it('a session revoked or signed out through one is refused by the other on its next request', async () => {
    const keeper = await signIn('ada@contoso.test');
    const revoked = await signIn('ada@contoso.test');
    const leaving = await signIn('ada@contoso.test');
    // Both instances have the sessions in use (and cached).
    for (const { token } of [keeper, revoked, leaving]) {
      expect(await status(holding(token), peer)).toBe(200);
      expect(await status(holding(token), app)).toBe(200);
    }

    const id = (await row(revoked.token))!.id;
    expect((await trpcMutation(holding(keeper.token), app.url, 'auth.revokeSession', { sessionId: id })).status).toBe(200);
    expect(await status(holding(revoked.token), peer)).toBe(401);

    const out = await signOut(holding(leaving.token), peer.url);
    expect(out.status).toBe(200);
    expect(await status(holding(leaving.token), app)).toBe(401);
    expect([await status(holding(keeper.token), app), await status(holding(keeper.token), peer)]).toEqual([200, 200]);
  });

  it('a rotated token is dead on the other instance too', async () => {
    const { token } = await signIn('uma@contoso.test');
    expect(await status(holding(token), peer)).toBe(200);
    const deps = sessionDeps({ em: app.db.orm.em.fork(), cache: app.cache, clock, settings: app.settings });
    const fresh = (await rotateToken(deps, (await resolveSession(deps, token))!))!;
    expect(await status(holding(token), peer)).toBe(401);
    expect(await status(holding(fresh), peer)).toBe(200);
  });
});

describe('clean-up', () => {
  async function seedSessions() {
    const { client } = await signIn('vic@fabrikam.test');
    const userId = (await me(client)).user.id;
    const now = clock().getTime();
    const em = app.db.orm.em.fork();
    const lifetime = app.settings.sessionLifetime;
    const make = (createdAgo: number) =>
      createSession(em, { userId, tenantId: 'unused', accessToken: 'x', userAgent: undefined, ipAddress: undefined, lifetime, now: new Date(now - createdAgo) });
    const sessions = {
      live: make(0),
      usedEleventHoursAgo: make(11 * HOUR),
      expired: make(25 * HOUR),
      idle: make(13 * HOUR),
      revoked: [make(0), make(0), make(0)],
    };
    await em.flush();
    await em.execute(`update enhanced_sessions set revoked_at = ? where id in (?, ?, ?)`, [new Date(now), ...sessions.revoked.map((s) => s.sessionId)]);
    await createSignInRequest(em.fork(), { state: 's', nonce: 'n', codeVerifier: 'v', returnTo: '/', now: new Date(now - 11 * MINUTE) });
    return sessions;
  }

  const remaining = async (ids: string[]) =>
    (await app.db.orm.em.fork().execute(`select id from enhanced_sessions where id in (${ids.map(() => '?').join(', ')})`, ids)).map((r) => r.id).sort();

  it('deletes revoked, expired and idle sessions in batches, keeps live ones, and drops abandoned sign-ins', async () => {
    const s = await seedSessions();
    const result = await cleanupSessions(app.db.orm.em, { now: clock(), lifetime: app.settings.sessionLifetime, auditRetentionDays: app.settings.audit.retentionDays, batchSize: 2 });
    expect(result.skipped).toBe(false);
    expect(result.sessions).toBeGreaterThanOrEqual(5);
    expect(result.signInRequests).toBeGreaterThanOrEqual(1);
    const all = [s.live, s.usedEleventHoursAgo, s.expired, s.idle, ...s.revoked].map((x) => x.sessionId);
    expect(await remaining(all)).toEqual([s.live.sessionId, s.usedEleventHoursAgo.sessionId].sort());
    const [left] = await app.db.orm.em.fork().execute(`select count(*)::int as n from sign_in_requests where expires_at <= ?`, [clock()]);
    expect(left!.n).toBe(0);
  });

  it('runs one at a time in a process', async () => {
    const s = await seedSessions();
    const [one, two] = [app.cleanup.runNow(), app.cleanup.runNow()];
    expect(one).toBe(two);
    expect((await one)?.sessions).toBeGreaterThanOrEqual(5);
    expect(await remaining([s.expired.sessionId, s.live.sessionId])).toEqual([s.live.sessionId]);
  });

  it('runs by itself every MREG_FASTMCP_SESSION_CLEANUP_INTERVAL seconds', async () => {
    const s = await seedSessions();
    const every = await startTestApp({ clock, env: { ...LIFETIME, MREG_FASTMCP_SESSION_CLEANUP_INTERVAL: '1' }, sameStoresAs: app });
    try {
      await vi.waitFor(async () => expect(await remaining([s.expired.sessionId, s.live.sessionId])).toEqual([s.live.sessionId]), {
        timeout: 5000,
        interval: 200,
      });
    } finally {
      await every.close();
    }
  });

  it('runs once per interval across instances: of claims made at once exactly one wins, and the next only an interval later', async () => {
    const job = `claim-test-${randomUUID()}`;
    const start = new Date('2026-12-07T10:00:00Z');
    const claimAt = (now: Date, instance: string) => claimScheduledRun(app.db.orm.em.fork(), job, { now, intervalMs: 60_000, instance });
    const first = await Promise.all(Array.from({ length: 8 }, (_, i) => claimAt(start, `instance-${i}`)));
    expect(first.filter(Boolean)).toHaveLength(1);
    // Before the interval is over, nobody gets it; at its end, one instance again.
    expect((await Promise.all([0, 1, 2].map((i) => claimAt(new Date(start.getTime() + 59_999), `instance-${i}`)))).filter(Boolean)).toHaveLength(0);
    const second = await Promise.all(Array.from({ length: 8 }, (_, i) => claimAt(new Date(start.getTime() + 60_000), `instance-${i}`)));
    expect(second.filter(Boolean)).toHaveLength(1);
    const [row] = await app.db.orm.em
      .fork()
      .execute(`select extract(epoch from next_run_at) * 1000 as next, extract(epoch from last_run_at) * 1000 as last, last_instance from scheduled_runs where job = ?`, [job]);
    expect({ next: Number(row!.next), last: Number(row!.last), instance: row!.last_instance }).toEqual({
      next: start.getTime() + 120_000,
      last: start.getTime() + 60_000,
      instance: `instance-${second.indexOf(true)}`,
    });
  });

  it('stops at once while another instance holds the lock, and cleans once it is free', async () => {
    const s = await seedSessions();
    const other = new pg.Client({ connectionString: app.databaseUrl });
    await other.connect();
    try {
      await other.query('select pg_advisory_lock($1, $2)', [...CLEANUP_LOCK]);
      const result = await cleanupSessions(app.db.orm.em, { now: clock(), lifetime: app.settings.sessionLifetime, auditRetentionDays: app.settings.audit.retentionDays });
      expect(result).toEqual({ sessions: 0, signInRequests: 0, oauth: 0, invitations: 0, auditEvents: 0, skipped: true });
      expect(await remaining([s.expired.sessionId])).toEqual([s.expired.sessionId]);
      await other.query('select pg_advisory_unlock($1, $2)', [...CLEANUP_LOCK]);
      expect((await cleanupSessions(app.db.orm.em, { now: clock(), lifetime: app.settings.sessionLifetime, auditRetentionDays: app.settings.audit.retentionDays })).skipped).toBe(false);
      expect(await remaining([s.expired.sessionId])).toEqual([]);
    } finally {
      await other.end();
    }
  });
});

describe('with enhanced session management switched off', () => {
  let off: TestApp;
  beforeAll(async () => {
    off = await startTestApp({ clock, env: { ...LIFETIME, MREG_FASTMCP_SESSION_MANAGEMENT_ENHANCED: 'false' } });
  });
  afterAll(async () => {
    await off?.close();
  });

  it('sessions work from the database alone, and the session procedures say the feature is off', async () => {
    const { client, token } = await signIn('ada@contoso.test', browser(), off);
    expect((await me(client, off)).user.email).toBe('ada@contoso.test');
    expect(await off.cache.get(`session:${hashToken(token)}`)).toBeUndefined();
    const message = 'Session management is switched off on this server (MREG_FASTMCP_SESSION_MANAGEMENT_ENHANCED=false)';
    for (const answer of [
      await trpcQuery(client, off.url, 'auth.sessions'),
      await trpcMutation(client, off.url, 'auth.revokeSession', { sessionId: randomUUID() }),
      await trpcMutation(client, off.url, 'auth.revokeOtherSessions'),
      await trpcMutation(client, off.url, 'auth.refreshSession'),
    ]) {
      expect(answer.status).toBe(412);
      expect(answer.body.error).toMatchObject({ message, data: { code: 'PRECONDITION_FAILED' } });
    }
    // Logout and the lifetime rules still hold.
    const again = await signIn('ada@contoso.test', browser(), off);
    const out = await signOut(client, off.url);
    expect(out.status).toBe(200);
    expect(await status(holding(token), off)).toBe(401);
    clock.advance(11 * HOUR);
    await me(again.client, off);
    clock.advance(11.5 * HOUR);
    const renewed = await me(again.client, off);
    expect(renewed.sessionInfo.expiresAt).toBe(iso(clock().getTime() + 24 * HOUR));
    clock.advance(12 * HOUR);
    expect(await status(again.client, off)).toBe(401);
  });
});

describe.each(testRedisUrl ? [testRedisUrl] : [])('with Redis stopped in the middle (%s)', (redisUrl) => {
  let proxy: TcpProxy;
  let flaky: TestApp;
  beforeAll(async () => {
    const real = new URL(redisUrl);
    proxy = await startTcpProxy(real.hostname, Number(real.port || 6379));
    flaky = await startTestApp({ clock, env: LIFETIME, redisUrl: `redis://127.0.0.1:${proxy.port}` });
  });
  afterAll(async () => {
    await flaky?.close();
    await proxy?.close();
  });

  it('every request works from the database, revocations made meanwhile hold after Redis returns, and the cache serves again', async () => {
    const keeper = await signIn('ada@contoso.test', browser(), flaky);
    const victim = await signIn('ada@contoso.test', browser(), flaky);
    for (const { client } of [keeper, victim]) await me(client, flaky);
    const victimKey = `session:${hashToken(victim.token)}`;
    expect(await flaky.cache.get(victimKey)).toMatchObject({ user: { email: 'ada@contoso.test' } });

    proxy.cut();
    expect(await status(keeper.client, flaky)).toBe(200);
    const during = await signIn('uma@contoso.test', browser(), flaky);
    expect((await me(during.client, flaky)).user.email).toBe('uma@contoso.test');
    const revoked = await trpcMutation(keeper.client, flaky.url, 'auth.revokeSession', { sessionId: (await row(victim.token, flaky))!.id });
    expect(revoked.status).toBe(200);
    expect(await status(victim.client, flaky)).toBe(401);

    proxy.restore();
    // Redis still holds the victim's entry from before the cut: the tombstone kept meanwhile replaces it.
    const direct = new Redis(redisUrl);
    try {
      await vi.waitFor(async () => expect(JSON.parse((await direct.get(`${flaky.cacheNamespace}:${victimKey}`)) ?? 'null')).toEqual({ revoked: true }), {
        timeout: 5000,
        interval: 100,
      });
    } finally {
      direct.disconnect();
    }
    expect(await status(victim.client, flaky)).toBe(401);
    await vi.waitFor(async () => {
      expect(await status(during.client, flaky)).toBe(200);
      expect(await flaky.cache.get(`session:${hashToken(during.token)}`)).toMatchObject({ user: { email: 'uma@contoso.test' } });
    }, { timeout: 5000, interval: 100 });
  });
});
