import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyCreated } from '@mreg/shared';
import { hashToken } from '../lib/tokens';
import { bearer, mintApiKey } from '../testing/api-keys';
import type { CookieClient } from '../testing/cookie-client';
import { databaseMode, startTestApp, type TestApp } from '../testing/harness';
import { startRedisSentinelSet, type RedisSentinelSet } from '../testing/redis-sentinel';
import { signInAs, signOut, trpcMutation, type SignedIn } from '../testing/sign-in';

/**
 * Redis Sentinel under load: the primary is SIGKILLed, the sentinels promote the replica, and MREG
 * follows. The file brings its own sentinel set (primary, replica, three sentinels) on free loopback
 * ports, so it runs the same way in both CI modes; the database is the harness's.
 *
 * The credentials revoked just before the kill are revoked while replication is held back (the
 * replica stopped, a 32 MB value ahead of MREG's tombstones in the stream): their tombstones reach
 * the old primary and never the replica, as asynchronous replication allows. MREG counts such a
 * write as taken only once a replica confirms it (WAIT), so it keeps them in the process and writes
 * them to the promoted primary; the test checks that the loss was real and that they stay refused.
 */

const EMAILS = ['uma@contoso.test', 'ada@contoso.test', 'vic@fabrikam.test', 'uma@contoso.test'];
const KEY_OWNER = 'ada@contoso.test';
/** Load before the kill, and after MREG is back on the promoted primary. */
const BEFORE_KILL_MS = 1500;
const AFTER_BACK_MS = 1500;
const REQUEST_TIMEOUT_MS = 5000;
/** More than the kernel's socket buffers on loopback hold: what follows it stays in the primary's memory. */
const BALLAST_BYTES = 32 * 1024 * 1024;

interface Failure {
  at: number;
  what: string;
}

describe(`Redis Sentinel failover under load (own sentinel set, ${databaseMode})`, () => {
  let set: RedisSentinelSet;
  let app: TestApp;
  let load: SignedIn[];
  let owner: CookieClient;
  let liveKey: ApiKeyCreated;
  let keyBefore: ApiKeyCreated;
  let keyDuring: ApiKeyCreated;
  let doomedBefore: SignedIn;
  let doomedDuring: SignedIn;

  beforeAll(async () => {
    set = await startRedisSentinelSet();
    app = await startTestApp({
      env: {
        MREG_REDIS_SENTINELS: set.sentinelList,
        MREG_REDIS_SENTINEL_NAME: set.name,
        // Thousands of calls through a few sessions in seconds, and a dozen sign-ins from one address.
        MREG_TRPC_RATE_LIMIT: '10000000',
        MREG_SIGN_IN_RATE_LIMIT: '1000',
      },
    });
    expect(app.cache.kind).toBe('redis');
    // One after another: each sign-in of a person updates their row.
    load = [];
    for (const email of EMAILS) load.push(await signInAs(app.url, email));
    doomedBefore = await signInAs(app.url, 'uma@contoso.test');
    doomedDuring = await signInAs(app.url, 'vic@fabrikam.test');
    liveKey = await mintApiKey(app.url, KEY_OWNER, { name: 'live' });
    keyBefore = await mintApiKey(app.url, KEY_OWNER, { name: 'before' });
    keyDuring = await mintApiKey(app.url, KEY_OWNER, { name: 'during' });
    ({ client: owner } = await signInAs(app.url, KEY_OWNER));
    // In use before they are revoked: their entries are cached, and replicated.
    expect((await authUser(doomedBefore.token)).status).toBe(200);
    expect((await authUser(doomedDuring.token)).status).toBe(200);
    expect((await withKey(keyBefore.secret)).status).toBe(200);
    expect((await withKey(keyDuring.secret)).status).toBe(200);
  });

  afterAll(async () => {
    await app?.close();
    await set?.stop();
  });

  const get = (path: string, headers: Record<string, string>) =>
    fetch(`${app.url}/trpc/${path}`, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const authUser = (token: string) => get('auth.user', { cookie: `mreg_session=${token}` });
  const withKey = (secret: string) => get('registry.list', bearer(secret));
  const revokeKey = async (key: ApiKeyCreated) => expect((await trpcMutation(owner, app.url, 'apiKeys.revoke', { id: key.apiKey.id })).status).toBe(200);
  const logOut = async (who: SignedIn) => expect((await signOut(who.client, app.url)).status).toBe(200);
  const sessionKey = (token: string) => `${app.cacheNamespace}:session:${hashToken(token)}`;

  it('keeps answering through the failover, follows the promoted primary, and forgets no revocation', { timeout: 40_000 }, async () => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const failures: Failure[] = [];
    /** Requests a revoked credential got answered: none may be. */
    const accepted: Failure[] = [];
    const answered = { before: 0, switching: 0, after: 0 };
    let killedAt = Infinity;
    let backAt = Infinity;
    let stopAt = Infinity;
    const phase = (at: number) => (at < killedAt ? 'before' : at < backAt ? 'switching' : 'after');

    const sessionWorker = async ({ token }: SignedIn, email: string) => {
      while (elapsed() < stopAt) {
        const at = elapsed();
        try {
          const response = await authUser(token);
          const body = (await response.json()) as { result?: { data: { user: { email: string } } } };
          if (response.status === 200 && body.result?.data.user.email === email) answered[phase(at)]++;
          else failures.push({ at, what: `auth.user ${response.status} ${JSON.stringify(body).slice(0, 200)}` });
        } catch (error) {
          failures.push({ at, what: `auth.user ${(error as Error).message}` });
        }
      }
    };
    const keyWorker = async () => {
      while (elapsed() < stopAt) {
        const at = elapsed();
        try {
          const response = await withKey(liveKey.secret);
          if (response.status === 200) answered[phase(at)]++;
          else failures.push({ at, what: `registry.list with a key ${response.status} ${(await response.text()).slice(0, 200)}` });
        } catch (error) {
          failures.push({ at, what: `registry.list with a key ${(error as Error).message}` });
        }
      }
    };
    /** From its revocation on, every few tens of milliseconds: refused each time. */
    const revoked: { name: string; ask: () => Promise<Response> }[] = [];
    const revokedWatch = async () => {
      while (elapsed() < stopAt) {
        for (const { name, ask } of [...revoked]) {
          const at = elapsed();
          const status = await ask().then((response) => response.status, (error: Error) => error.message);
          if (status !== 401) accepted.push({ at, what: `${name}: ${status}` });
        }
        await new Promise((r) => setTimeout(r, 30));
      }
    };
    const running = Promise.all([...load.map((signedIn, i) => sessionWorker(signedIn, EMAILS[i]!)), keyWorker(), revokedWatch()]);

    await new Promise((r) => setTimeout(r, BEFORE_KILL_MS));
    const formerPort = await set.primaryPort();
    const [replicaPort] = [...set.nodes.keys()].filter((port) => port !== formerPort);
    const replica = set.nodes.get(replicaPort!)!;
    const former = set.clientOf(formerPort);
    const ballastKey = `${app.cacheNamespace}:ballast`;
    const ballast = 'x'.repeat(BALLAST_BYTES);

    // Revoked just before the kill, with replication held back: the replica stopped, and a value
    // larger than the socket buffers ahead of the tombstones in the replication stream.
    replica.child.kill('SIGSTOP');
    let stoppedFor: number;
    const stoppedAt = performance.now();
    try {
      await former.set(ballastKey, ballast);
      await Promise.all([logOut(doomedBefore), revokeKey(keyBefore)]);
      revoked.push({ name: 'session revoked before the kill', ask: () => authUser(doomedBefore.token) });
      revoked.push({ name: 'API key revoked before the kill', ask: () => withKey(keyBefore.secret) });
      expect(await former.get(sessionKey(doomedBefore.token))).toBe('{"revoked":true}');
      expect(await set.killPrimary()).toBe(formerPort);
      killedAt = elapsed();
    } finally {
      replica.child.kill('SIGCONT');
      stoppedFor = Math.round(performance.now() - stoppedAt);
    }

    // Revoked during the switch, while no primary answers.
    await Promise.all([logOut(doomedDuring), revokeKey(keyDuring)]);
    const revokedDuringAt = elapsed();
    revoked.push({ name: 'session revoked during the switch', ask: () => authUser(doomedDuring.token) });
    revoked.push({ name: 'API key revoked during the switch', ask: () => withKey(keyDuring.secret) });
    // Not ready while no primary answers (the sentinels take a second at least to promote one).
    const switching = await fetch(`${app.url}/readyz`);
    expect({ status: switching.status, body: await switching.json() }).toMatchObject({ status: 503, body: { checks: { database: 'ok', cache: 'unavailable' } } });

    const promotedPort = await set.waitForPromotion(formerPort);
    const promotedAt = elapsed();
    expect(promotedPort).toBe(replicaPort);
    expect(await set.primaryPort()).toBe(replicaPort);
    // MREG's cache connected again: to the promoted primary, since the former one is dead.
    await expect.poll(() => app.cache.available, { timeout: 10_000, interval: 20 }).toBe(true);
    backAt = elapsed();
    stopAt = backAt + AFTER_BACK_MS;
    await running;
    const failedWhileSwitching = failures.filter((failure) => failure.at >= killedAt && failure.at < backAt).length;
    console.log(
      `[redis-sentinel] ${databaseMode}: replica stopped ${stoppedFor} ms; primary SIGKILLed at ${killedAt} ms; ` +
        `revoked during the switch by ${revokedDuringAt} ms; sentinels named the promoted replica ${promotedAt - killedAt} ms after the kill, ` +
        `MREG's cache was connected to it ${backAt - killedAt} ms after the kill; answered before/switching/after ${answered.before}/${answered.switching}/${answered.after}; ` +
        `${failures.length} failed (${failedWhileSwitching} while switching); revoked credentials accepted ${accepted.length} times`,
    );
    expect(failures.slice(0, 10)).toEqual([]);
    expect(accepted.slice(0, 10)).toEqual([]);
    // The stream covered the switch: requests before, during and after it.
    expect(answered.before).toBeGreaterThan(10);
    expect(answered.switching).toBeGreaterThan(10);
    expect(answered.after).toBeGreaterThan(10);
    const promoted = set.clientOf(promotedPort);

    // The loss was real: nothing that followed the ballast in the stream reached the replica, the
    // tombstones of the credentials revoked before the kill among them.
    expect(await promoted.exists(ballastKey), 'the ballast reached the replica: the socket buffers took it all, so nothing was held back').toBe(0);

    // MREG writes to the promoted primary: the tombstones it kept written there, a new session's
    // entry, the rate-limit counters, and both subscriptions (invalidations, gateway cancellations).
    for (const token of [doomedBefore.token, doomedDuring.token]) {
      await expect.poll(() => promoted.get(sessionKey(token)), { timeout: 5000, interval: 50 }).toBe('{"revoked":true}');
    }
    const late = await signInAs(app.url, 'uma@contoso.test');
    expect((await authUser(late.token)).status).toBe(200);
    await expect.poll(() => promoted.exists(sessionKey(late.token)), { timeout: 5000, interval: 50 }).toBe(1);
    expect((await promoted.keys(`${app.cacheNamespace}:rate:*`)).length).toBeGreaterThan(0);
    const subscribers = async () => {
      const reply = (await promoted.call('PUBSUB', 'NUMSUB', `${app.cacheNamespace}:invalidate`, `${app.cacheNamespace}:gateway:cancel`)) as [string, number, string, number];
      return Math.min(reply[1], reply[3]);
    };
    await expect.poll(subscribers, { timeout: 5000, interval: 50 }).toBeGreaterThan(0);

    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);

    // Every revocation holds, now as at every moment since it was made.
    expect((await authUser(doomedBefore.token)).status).toBe(401);
    expect((await authUser(doomedDuring.token)).status).toBe(401);
    expect((await withKey(keyBefore.secret)).status).toBe(401);
    expect((await withKey(keyDuring.secret)).status).toBe(401);
    expect((await withKey(liveKey.secret)).status).toBe(200);

  });
});
