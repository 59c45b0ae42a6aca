import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startTestApp, testRedisUrl, type TestApp } from '../testing/harness';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../testing/throwaway-postgres';
import { signInAs } from '../testing/sign-in';
import { pngImage } from '../modules/profiles/test-images';

/**
 * Issue 7, resilience: PostgreSQL stops and comes back. The file brings its own PostgreSQL (never the
 * shared one, which other runs use), so it runs the same way in both CI modes; the cache is the
 * harness's (in-process, or MREG_TEST_REDIS_URL's Redis under a namespace of its own).
 */

const EMAIL = 'uma@contoso.test';
const cacheMode = testRedisUrl ? 'Redis' : 'in-process cache';
/** What a person waits at most for an answer while the database is down. */
const ANSWER_WITHIN_MS = 2000;
/** Recovery is polled for this long after PostgreSQL is back. */
const RECOVER_WITHIN_MS = 15_000;
/** A request that outlives this has hung: the answer is then a test failure, not a wait forever. */
const REQUEST_TIMEOUT_MS = 10_000;
/** The SIGKILL stream: a ceiling on writes (100 categories of 100 keys), its length, and the crash. */
const MAX_WRITES = 5000;
const WRITERS = 4;
const WRITE_STREAM_MS = 6000;
const KILL_AT_MS = 1500;
const RESTART_AFTER_MS = 1000;
/** The one message for every call that needs the database while it is down (db/unavailable.ts). */
const DATABASE_DOWN = 'The database is not answering; try again shortly';

interface Answer {
  status: number;
  ms: number;
  body: { result?: { data: unknown }; error?: { message: string; data: { code: string } } } & Record<string, unknown>;
}

describe(`a PostgreSQL outage (own PostgreSQL, ${cacheMode})`, () => {
  let pg: ThrowawayPostgres;
  let app: TestApp;
  let token: string;

  beforeAll(async () => {
    pg = await startThrowawayPostgres();
    // Thousands of calls through one session in seconds: MREG_TRPC_RATE_LIMIT's default (600 a minute) would answer most with 429.
    app = await startTestApp({ databaseUrl: pg.url, env: { MREG_TRPC_RATE_LIMIT: '10000000' } });
    ({ token } = await signInAs(app.url, EMAIL));
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await pg?.cleanup();
  });

  const call = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const started = performance.now();
    const response = await fetch(`${app.url}${path}`, {
      ...init,
      headers: { cookie: `mreg_session=${token}`, origin: app.url, 'x-mreg-csrf': '1', 'content-type': 'application/json', ...init.headers },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await response.json()) as Answer['body'];
    return { status: response.status, ms: performance.now() - started, body };
  };
  const readyz = () => call('/readyz');
  const authUser = () => call('/trpc/auth.user');
  const sessions = () => call('/trpc/auth.sessions');
  const updatePreferences = (category: string, preferences: Record<string, number>) =>
    call('/trpc/auth.updatePreferences', { method: 'POST', body: JSON.stringify({ category, preferences }) });
  const members = () => call('/trpc/tenants.members');
  const updateProfile = (displayName: string) =>
    call('/trpc/auth.updateProfile', { method: 'POST', body: JSON.stringify({ displayName, bio: 'Away while the database is down' }) });

  /** A cookie shaped like a session token that this process has never seen: only the database knows it. */
  const unknownToken = 'A'.repeat(43);

  it('answers 503 within 2 s while PostgreSQL is stopped, serves what the cache holds, and recovers once it is back, without a restart', { timeout: 60_000 }, async () => {
    // Warm: the session, tenant context, profile and preferences are in the cache, and every call works.
    for (const warm of [authUser, authUser, sessions, members, readyz]) expect([200, 403]).toContain((await warm()).status);
    const before = await authUser();
    expect((await call('/trpc/auth.user', { headers: { cookie: `mreg_session=${unknownToken}` } })).status).toBe(401);

    const stoppedAt = performance.now();
    await pg.stop();
    const stopMs = performance.now() - stoppedAt;
    // Should an expectation below fail while it is down, the next test still gets a running PostgreSQL.
    onTestFinished(async () => {
      if (pg.pid === undefined) await pg.start();
    });

    // /readyz: 503, naming the database as the part that is down (the cache is still up).
    const ready = await readyz();
    expect(ready).toMatchObject({ status: 503, body: { status: 'unavailable', checks: { database: 'unavailable', cache: 'ok' } } });
    expect(ready.ms).toBeLessThan(ANSWER_WITHIN_MS);

    // Calls that need the database: SERVICE_UNAVAILABLE (HTTP 503) saying so, within 2 s, not a 500.
    const unavailable = { status: 503, body: { error: { message: DATABASE_DOWN, data: { code: 'SERVICE_UNAVAILABLE' } } } };
    const down = {
      sessions: await sessions(),
      update: await updateProfile('Uma While Down'),
      // A session the cache does not hold cannot be checked without the database: 503, not 401.
      unknown: await call('/trpc/auth.user', { headers: { cookie: `mreg_session=${unknownToken}` } }),
    };
    for (const [name, answer] of Object.entries(down)) {
      expect(answer, name).toMatchObject(unavailable);
      expect(answer.ms, name).toBeLessThan(ANSWER_WITHIN_MS);
    }
    // The cached session is still served where nothing else is needed: auth.user answers as before,
    // all of it from the cache (session, tenant context, profile, preferences)...
    const user = await authUser();
    expect(user.status).toBe(200);
    expect(user.ms).toBeLessThan(ANSWER_WITHIN_MS);
    const earlier = before.body.result!.data as { sessionInfo: object };
    expect(user.body.result!.data).toEqual({ ...earlier, sessionInfo: { ...earlier.sessionInfo, lastActivity: expect.any(String) } });
    // ...and a check that needs only the session and its tenant context answers as before, here
    // FORBIDDEN since Uma is a member, not an admin.
    const forbidden = await members();
    expect(forbidden).toMatchObject({ status: 403, body: { error: { data: { code: 'FORBIDDEN' } } } });
    expect(forbidden.body.error!.message).toContain('members:manage');
    // Signed out needs no database at all.
    expect((await call('/trpc/auth.user', { headers: { cookie: '' } })).status).toBe(401);

    // Back: same port, same data; the app reconnects on its own (pool min 0: the next acquire connects).
    const startedAt = performance.now();
    await pg.start();
    const startMs = performance.now() - startedAt;
    let recovered: Record<string, Answer> = {};
    let recoverMs = Infinity;
    const backAt = performance.now();
    while (performance.now() - backAt < RECOVER_WITHIN_MS) {
      recovered = { readyz: await readyz(), update: await updateProfile('Uma Back'), sessions: await sessions(), user: await authUser() };
      if (Object.values(recovered).every((answer) => answer.status === 200)) {
        recoverMs = performance.now() - backAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(Object.fromEntries(Object.entries(recovered).map(([name, answer]) => [name, answer.status]))).toEqual({
      readyz: 200,
      update: 200,
      sessions: 200,
      user: 200,
    });
    expect(recovered.user!.body.result!.data).toMatchObject({ user: { email: EMAIL }, profile: { displayName: 'Uma Back' } });
    // And an unknown token is told apart from a session again.
    expect((await call('/trpc/auth.user', { headers: { cookie: `mreg_session=${unknownToken}` } })).status).toBe(401);

    console.log(
      `[postgres-outage] ${cacheMode}: PostgreSQL stopped in ${Math.round(stopMs)} ms; while down /readyz 503 in ${ready.ms.toFixed(1)} ms, ` +
        Object.entries(down)
          .map(([name, answer]) => `${name} ${answer.status} in ${answer.ms.toFixed(1)} ms`)
          .join(', ') +
        `, auth.user ${user.status} and tenants.members ${forbidden.status} from the cache; restarted in ${Math.round(startMs)} ms, all calls 200 again ${Math.round(recoverMs)} ms later`,
    );
  });

  it('the avatar routes answer 503 while PostgreSQL is stopped, saying so, not a 500; a bad image is still 400', { timeout: 60_000 }, async () => {
    const png = { method: 'PUT', body: pngImage(), headers: { 'content-type': 'application/octet-stream' } };
    const stored = await call('/avatars', png);
    expect(stored.status).toBe(200);
    const avatarUrl = stored.body.avatarUrl as string;
    // The new picture dropped the cached session; a read caches it again, so that what fails below is the avatar's own query.
    expect((await authUser()).status).toBe(200);

    await pg.stop();
    onTestFinished(async () => {
      if (pg.pid === undefined) await pg.start();
    });
    const down = {
      upload: await call('/avatars', png),
      delete: await call('/avatars', { method: 'DELETE' }),
      serve: await call(avatarUrl),
      // The session of an unknown cookie cannot be checked without the database: 503, not 401.
      unknown: await call(avatarUrl, { headers: { cookie: `mreg_session=${unknownToken}` } }),
    };
    for (const [name, answer] of Object.entries(down)) {
      expect({ name, status: answer.status, body: answer.body }).toEqual({ name, status: 503, body: { error: DATABASE_DOWN } });
      expect(answer.ms, name).toBeLessThan(ANSWER_WITHIN_MS);
    }
    // Refused on its bytes before the database is asked: the client's fault, whatever the outage.
    const gif = await call('/avatars', { ...png, body: Buffer.from('GIF89a') });
    expect(gif.status).toBe(400);
    expect(gif.body.error).toMatch(/must be a PNG, JPEG or WebP image/);

    await pg.start();
    let served = 0;
    for (const backAt = performance.now(); performance.now() - backAt < RECOVER_WITHIN_MS && served !== 200; ) {
      served = (await fetch(`${app.url}${avatarUrl}`, { headers: { cookie: `mreg_session=${token}` } })).status;
      if (served !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(served).toBe(200);
  });

  it('keeps every acknowledged preference write when the postmaster is SIGKILLed mid-stream and restarted', { timeout: 60_000 }, async () => {
    const acknowledged: number[] = [];
    const refused: string[] = [];
    const other: string[] = [];
    let sent = 0;
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    let killingAt = Infinity;
    let killedAt = Infinity;
    let restartedAt = Infinity;
    // Acknowledged writes sent before the kill, while it was down, and after the restart.
    const phases = { before: 0, down: 0, back: 0 };
    let atKill = 0;
    const crash = (async () => {
      await new Promise((r) => setTimeout(r, KILL_AT_MS));
      killingAt = elapsed();
      await pg.kill();
      killedAt = elapsed();
      await new Promise((r) => setTimeout(r, RESTART_AFTER_MS));
      await pg.start();
      restartedAt = elapsed();
    })();
    // Write n is key k<n % 100> in category w<n / 100> (100 keys per category at most), value n: each
    // acknowledged write can be looked for afterwards.
    const worker = async () => {
      while (sent < MAX_WRITES && elapsed() < WRITE_STREAM_MS) {
        const n = sent++;
        const at = elapsed();
        try {
          const answer = await updatePreferences(`w${Math.floor(n / 100)}`, { [`k${n % 100}`]: n });
          if (answer.status === 200) {
            acknowledged.push(n);
            phases[at < killedAt ? 'before' : at < restartedAt ? 'down' : 'back']++;
          }
          else if (answer.status === 503 && answer.body.error?.data.code === 'SERVICE_UNAVAILABLE') refused.push(answer.body.error.message);
          // A transaction whose connection dies under it ends in knex's "Transaction query already
          // complete", which names no cause and so stays a 500: allowed only for writes sent within
          // a second of the kill (the orphaned backends take a moment to notice and exit).
          else if (answer.status === 500 && at > killingAt - 1000 && at < killedAt + 1000) atKill++;
          else other.push(`#${n}: ${answer.status} ${JSON.stringify(answer.body.error)}`);
        } catch (error) {
          other.push(`#${n}: ${(error as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, worker));
    await crash;

    // Every write was acknowledged or refused with 503, but for a few at the kill: no hang, and no
    // 500 once the database is known to be gone.
    expect(other.slice(0, 10)).toEqual([]);
    expect(atKill).toBeLessThanOrEqual(2 * WRITERS);
    expect(elapsed()).toBeGreaterThan(restartedAt);
    // The stream covered the crash: writes acknowledged before it and after the restart.
    expect(phases.before).toBeGreaterThan(10);
    expect(phases.back).toBeGreaterThan(10);

    // Every acknowledged write is there, as auth.user shows them, once the database answers again.
    let user: Answer | undefined;
    const backAt = performance.now();
    while (performance.now() - backAt < RECOVER_WITHIN_MS) {
      user = await authUser();
      if (user.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(user?.status).toBe(200);
    const stored = (user!.body.result!.data as { preferences: Record<string, Record<string, number>> }).preferences;
    const missing = acknowledged.filter((n) => stored[`w${Math.floor(n / 100)}`]?.[`k${n % 100}`] !== n);
    expect(missing.slice(0, 10)).toEqual([]);
    console.log(
      `[postgres-outage] ${cacheMode}: ${sent} preference writes, ${WRITERS} in flight, postmaster SIGKILLed at ${Math.round(killedAt)} ms and ` +
        `restarted at ${Math.round(restartedAt)} ms; ${acknowledged.length} acknowledged (before/during/after ${phases.before}/${phases.down}/${phases.back}), all found after the restart; ` +
        `${refused.length} refused with 503 (${[...new Set(refused)].join(' / ')}), ${atKill} sent around the kill answered 500`,
    );
  });
});
