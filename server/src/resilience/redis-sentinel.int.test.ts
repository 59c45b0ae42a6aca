import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyCreated, OAuthGrant } from '@mreg/shared';
import { RECONNECT_DOUBT_MS } from '../cache/redis';
import { DEMO_TENANTS } from '../identity/demo-directory';
import { hashToken } from '../lib/tokens';
import { bearer, mintApiKey } from '../testing/api-keys';
import type { CookieClient } from '../testing/cookie-client';
import { databaseMode, startTestApp, type TestApp } from '../testing/harness';
import { approve, pkcePair, postForm, registerClient } from '../testing/oauth';
import { startRedisSentinelSet, type RedisSentinelSet } from '../testing/redis-sentinel';
import { signInAs, signOut, trpcMutation, trpcQuery, type SignedIn } from '../testing/sign-in';

/**
 * Redis Sentinel under load: the primary is SIGKILLed, the sentinels promote the replica, and two
 * MREG instances (A and B: one database, one sentinel set) follow. The file brings its own sentinel
 * set (primary, replica, three sentinels) on free loopback ports, so it runs the same way in both CI
 * modes; the database is the harness's.
 *
 * The credentials revoked just before the kill (a session, an API key, an OAuth access token, all
 * through A) are revoked while replication is held back (the replica stopped, a 32 MB value ahead of
 * MREG's tombstones in the stream): their tombstones reach the old primary and never the replica,
 * as asynchronous replication allows, while their valid entries, cached before, did. A counts such
 * a write as taken only once a replica confirms it (WAIT), so it keeps them in the process and writes
 * them to the promoted primary. Instance B has no such tombstone of its own: the promoted primary
 * refuses writes (maxmemory) for HOLD_MS after both are back on it, so A's tombstones land that much
 * later than B reconnects, as they would from an instance that reconnects later than another (a
 * busier host, a slower path to the sentinels). Every revoked credential is asked of A and of B
 * throughout, and must be refused every time.
 */

const [CONTOSO] = DEMO_TENANTS;
const EMAILS = ['uma@contoso.test', 'ada@contoso.test', 'vic@fabrikam.test', 'uma@contoso.test'];
const KEY_OWNER = 'ada@contoso.test';
/** Load before the kill. */
const BEFORE_KILL_MS = 1500;
/** How long after both instances are back the promoted primary refuses writes, A's tombstones with them. */
const HOLD_MS = 1500;
/** Load after both are back: past B's window of doubt, and a second of plain hits after it. */
const AFTER_BACK_MS = RECONNECT_DOUBT_MS + 1000;
const REQUEST_TIMEOUT_MS = 5000;
/** More than the kernel's socket buffers on loopback hold: what follows it stays in the primary's memory. */
const BALLAST_BYTES = 32 * 1024 * 1024;

interface Failure {
  at: number;
  what: string;
}

describe(`Redis Sentinel failover under load, two instances (own sentinel set, ${databaseMode})`, () => {
  let set: RedisSentinelSet;
  let app: TestApp;
  let appB: TestApp;
  let load: SignedIn[];
  let owner: CookieClient;
  let liveKey: ApiKeyCreated;
  let keyBefore: ApiKeyCreated;
  let keyDuring: ApiKeyCreated;
  let doomedBefore: SignedIn;
  let doomedDuring: SignedIn;
  let liveToken: string;
  let tokenBefore: { token: string; clientId: string };
  let tokenDuring: { token: string; grantId: string };

  const env = (sentinels: RedisSentinelSet) => ({
    MREG_REDIS_SENTINELS: sentinels.sentinelList,
    MREG_REDIS_SENTINEL_NAME: sentinels.name,
    // Thousands of calls through a few credentials in seconds, and a dozen sign-ins from one address.
    MREG_TRPC_RATE_LIMIT: '10000000',
    MREG_GATEWAY_RATE_LIMIT: '10000000',
    MREG_GATEWAY_TENANT_RATE_LIMIT: '10000000',
    MREG_OAUTH_RATE_LIMIT: '10000',
    MREG_SIGN_IN_RATE_LIMIT: '1000',
  });

  /** An access token for Ada in Contoso at A's /mcp, from a client of its own (a grant of its own). */
  const obtainToken = async (clientName: string) => {
    const redirectUri = 'http://127.0.0.1:9/callback';
    const registered = await registerClient(app.url, { client_name: clientName, redirect_uris: [redirectUri] });
    expect(registered.status).toBe(201);
    const clientId = registered.body.client_id as string;
    const { verifier, challenge } = pkcePair();
    const authorize = new URL(`${app.url}/authorize`);
    const params = { response_type: 'code', code_challenge_method: 'S256', client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, state: 's', resource: `${app.url}/mcp` };
    for (const [name, value] of Object.entries(params)) authorize.searchParams.set(name, value);
    const { code } = await approve(owner, app.url, authorize, CONTOSO!.id);
    const tokens = await postForm(`${app.url}/token`, { grant_type: 'authorization_code', code, client_id: clientId, redirect_uri: redirectUri, code_verifier: verifier });
    expect(tokens.status).toBe(200);
    return { token: tokens.body.access_token as string, clientId };
  };

  beforeAll(async () => {
    set = await startRedisSentinelSet();
    app = await startTestApp({ env: env(set) });
    // The same public address, as instances behind one load balancer have (an access token names it).
    appB = await startTestApp({ sameStoresAs: app, env: { ...env(set), MREG_PUBLIC_URL: app.url } });
    expect([app.cache.kind, appB.cache.kind]).toEqual(['redis', 'redis']);
    // One after another: each sign-in of a person updates their row.
    load = [];
    for (const email of EMAILS) load.push(await signInAs(app.url, email));
    doomedBefore = await signInAs(app.url, 'uma@contoso.test');
    doomedDuring = await signInAs(app.url, 'vic@fabrikam.test');
    liveKey = await mintApiKey(app.url, KEY_OWNER, { name: 'live' });
    keyBefore = await mintApiKey(app.url, KEY_OWNER, { name: 'before' });
    keyDuring = await mintApiKey(app.url, KEY_OWNER, { name: 'during' });
    ({ client: owner } = await signInAs(app.url, KEY_OWNER));
    ({ token: liveToken } = await obtainToken('live client'));
    tokenBefore = await obtainToken('client revoked before the kill');
    const during = await obtainToken('client revoked during the switch');
    const grants = (await trpcQuery(owner, app.url, 'auth.grants')).body.result!.data as OAuthGrant[];
    tokenDuring = { token: during.token, grantId: grants.find((grant) => grant.client.name === 'client revoked during the switch')!.id };
    // In use on both instances before they are revoked: their entries are cached, and replicated.
    for (const via of [app, appB]) {
      expect((await authUser(doomedBefore.token, via)).status).toBe(200);
      expect((await authUser(doomedDuring.token, via)).status).toBe(200);
      expect((await withKey(keyBefore.secret, via)).status).toBe(200);
      expect((await withKey(keyDuring.secret, via)).status).toBe(200);
      expect(await withToken(tokenBefore.token, via)).toMatchObject({ status: 200 });
      expect(await withToken(tokenDuring.token, via)).toMatchObject({ status: 200 });
    }
  });

  afterAll(async () => {
    await appB?.close();
    await app?.close();
    await set?.stop();
  });

  const get = (via: TestApp, path: string, headers: Record<string, string>) =>
    fetch(`${via.url}/trpc/${path}`, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const authUser = (token: string, via: TestApp = app) => get(via, 'auth.user', { cookie: `mreg_session=${token}` });
  const withKey = (secret: string, via: TestApp = app) => get(via, 'registry.list', bearer(secret));
  /**
   * An MCP initialize with an access token, to `via`'s listener with A's Host: the token's resource
   * is A's /mcp, and a load balancer in front of both would send A's host to either.
   */
  const withToken = (token: string, via: TestApp = app): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const target = new URL(via.url);
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
      const headers = {
        host: new URL(app.url).host,
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-06-18',
      };
      const request = httpRequest({ host: target.hostname, port: target.port, path: '/mcp', method: 'POST', headers, timeout: REQUEST_TIMEOUT_MS }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      request.on('timeout', () => request.destroy(new Error('timed out')));
      request.on('error', reject);
      request.end(body);
    });
  const revokeKey = async (key: ApiKeyCreated) => expect((await trpcMutation(owner, app.url, 'apiKeys.revoke', { id: key.apiKey.id })).status).toBe(200);
  const logOut = async (who: SignedIn) => expect((await signOut(who.client, app.url)).status).toBe(200);
  const sessionKey = (token: string) => `${app.cacheNamespace}:session:${hashToken(token)}`;

  it('keeps answering through the failover on both instances, follows the promoted primary, and forgets no revocation', { timeout: 50_000 }, async () => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const failures: Failure[] = [];
    /** Requests a revoked credential got answered, on either instance: none may be. */
    const accepted: Failure[] = [];
    const answered = { before: 0, switching: 0, after: 0 };
    let killedAt = Infinity;
    let backAt = Infinity;
    let stopAt = Infinity;
    const phase = (at: number) => (at < killedAt ? 'before' : at < backAt ? 'switching' : 'after');
    const both = [app, appB];
    const name = (via: TestApp) => (via === app ? 'A' : 'B');

    const sessionWorker = async ({ token }: SignedIn, email: string, via: TestApp) => {
      while (elapsed() < stopAt) {
        const at = elapsed();
        try {
          const response = await authUser(token, via);
          const body = (await response.json()) as { result?: { data: { user: { email: string } } } };
          if (response.status === 200 && body.result?.data.user.email === email) answered[phase(at)]++;
          else failures.push({ at, what: `${name(via)} auth.user ${response.status} ${JSON.stringify(body).slice(0, 200)}` });
        } catch (error) {
          failures.push({ at, what: `${name(via)} auth.user ${(error as Error).message}` });
        }
      }
    };
    /** A live API key and a live access token, on A and B in turn. */
    const bearerWorker = async () => {
      for (let i = 0; elapsed() < stopAt; i++) {
        const at = elapsed();
        const via = both[i % 2]!;
        const withTheKey = i % 3 === 0;
        const what = withTheKey ? 'registry.list with a key' : '/mcp with a token';
        try {
          const { status } = await (withTheKey ? withKey(liveKey.secret, via) : withToken(liveToken, via));
          if (status === 200) answered[phase(at)]++;
          else failures.push({ at, what: `${name(via)} ${what} ${status}` });
        } catch (error) {
          failures.push({ at, what: `${name(via)} ${what} ${(error as Error).message}` });
        }
      }
    };
    /** From its revocation on, every few tens of milliseconds, of each instance: refused each time. */
    const revoked: { name: string; ask: (via: TestApp) => Promise<{ status: number }> }[] = [];
    const revokedWatch = async (via: TestApp) => {
      while (elapsed() < stopAt) {
        for (const { name: what, ask } of [...revoked]) {
          const at = elapsed();
          const status = await ask(via).then((response) => response.status, (error: Error) => error.message);
          if (status !== 401) accepted.push({ at, what: `${what}, asked of ${name(via)}: ${status}` });
        }
        await new Promise((r) => setTimeout(r, 30));
      }
    };
    // What each instance's cache connection went through, for a failure's message.
    const connectionEvents: string[] = [];
    for (const via of both) {
      const { backend } = via.cache;
      if (backend.kind !== 'redis') continue;
      for (const event of ['close', 'connect', 'ready', 'end']) backend.client.on(event, () => connectionEvents.push(`${elapsed()} ms ${name(via)} ${event}`));
      backend.client.on('error', (error: Error) => connectionEvents.push(`${elapsed()} ms ${name(via)} error ${error.message}`));
    }
    const running = Promise.all([
      ...load.map((signedIn, i) => sessionWorker(signedIn, EMAILS[i]!, both[i % 2]!)),
      bearerWorker(),
      revokedWatch(app),
      revokedWatch(appB),
    ]);

    // Set in the try below, and read after it only when it went through.
    let stoppedFor!: number;
    let revokedDuringAt!: number;
    let promotedAt!: number;
    let releasedAt!: number;
    let replicaPort!: number;
    const ballastKey = `${app.cacheNamespace}:ballast`;
    try {
      await new Promise((r) => setTimeout(r, BEFORE_KILL_MS));
      const formerPort = await set.primaryPort();
      replicaPort = [...set.nodes.keys()].find((port) => port !== formerPort)!;
      const replica = set.nodes.get(replicaPort)!;
      const former = set.clientOf(formerPort);
      // Ignored while it is a replica (replica-ignore-maxmemory); once promoted, it refuses writes until released.
      await set.clientOf(replicaPort).config('SET', 'maxmemory', '1');

      // Revoked just before the kill, with replication held back: the replica stopped, and a value
      // larger than the socket buffers ahead of the tombstones in the replication stream.
      replica.child.kill('SIGSTOP');
      const stoppedAt = performance.now();
      try {
        await former.set(ballastKey, 'x'.repeat(BALLAST_BYTES));
        await Promise.all([
          logOut(doomedBefore),
          revokeKey(keyBefore),
          postForm(`${app.url}/revoke`, { token: tokenBefore.token, client_id: tokenBefore.clientId }).then(({ status }) => expect(status).toBe(200)),
        ]);
        revoked.push({ name: 'session revoked before the kill', ask: (via) => authUser(doomedBefore.token, via) });
        revoked.push({ name: 'API key revoked before the kill', ask: (via) => withKey(keyBefore.secret, via) });
        revoked.push({ name: 'access token revoked before the kill (/revoke)', ask: (via) => withToken(tokenBefore.token, via) });
        expect(await former.get(sessionKey(doomedBefore.token))).toBe('{"revoked":true}');
        expect(await set.killPrimary()).toBe(formerPort);
        killedAt = elapsed();
      } finally {
        replica.child.kill('SIGCONT');
        stoppedFor = Math.round(performance.now() - stoppedAt);
      }

      // Revoked during the switch, while no primary answers.
      await Promise.all([
        logOut(doomedDuring),
        revokeKey(keyDuring),
        trpcMutation(owner, app.url, 'auth.revokeGrant', { grantId: tokenDuring.grantId }).then(({ status }) => expect(status).toBe(200)),
      ]);
      revokedDuringAt = elapsed();
      revoked.push({ name: 'session revoked during the switch', ask: (via) => authUser(doomedDuring.token, via) });
      revoked.push({ name: 'API key revoked during the switch', ask: (via) => withKey(keyDuring.secret, via) });
      revoked.push({ name: 'access token whose grant was revoked during the switch', ask: (via) => withToken(tokenDuring.token, via) });
      // Not ready while no primary answers (the sentinels take a second at least to promote one).
      const switching = await fetch(`${appB.url}/readyz`);
      expect({ status: switching.status, body: await switching.json() }).toMatchObject({ status: 503, body: { checks: { database: 'ok', cache: 'unavailable' } } });

      const promotedPort = await set.waitForPromotion(formerPort);
      promotedAt = elapsed();
      expect(promotedPort).toBe(replicaPort);
      expect(await set.primaryPort()).toBe(replicaPort);
      // Both caches connected again: to the promoted primary, since the former one is dead.
      await expect
        .poll(() => [app.cache.available, appB.cache.available], { timeout: 10_000, interval: 20 })
        .toEqual([true, true])
        .catch((error: Error) => {
          throw new Error(`${error.message}; the commands connections of A and B went through:\n${connectionEvents.slice(-40).join('\n')}`);
        });
      backAt = elapsed();
      await new Promise((r) => setTimeout(r, HOLD_MS));
      await set.clientOf(replicaPort).config('SET', 'maxmemory', '0');
      releasedAt = elapsed();
      stopAt = backAt + AFTER_BACK_MS;
    } finally {
      // Whatever failed above, the workers stop and are waited for.
      if (stopAt === Infinity) stopAt = 0;
      await running;
    }
    const failedWhileSwitching = failures.filter((failure) => failure.at >= killedAt && failure.at < backAt).length;
    console.log(
      `[redis-sentinel] ${databaseMode}: replica stopped ${stoppedFor} ms; primary SIGKILLed at ${killedAt} ms; ` +
        `revoked during the switch by ${revokedDuringAt} ms; sentinels named the promoted replica ${promotedAt - killedAt} ms after the kill, ` +
        `both instances' caches were connected to it ${backAt - killedAt} ms after the kill, and it took writes again ${releasedAt - backAt} ms later; ` +
        `answered before/switching/after ${answered.before}/${answered.switching}/${answered.after}; ` +
        `${failures.length} failed (${failedWhileSwitching} while switching); revoked credentials accepted ${accepted.length} times; ` +
        `a commands connection ended (and connected again) ${connectionEvents.filter((event) => event.endsWith(' end')).length} times` +
        (accepted.length > 0 ? ` (${accepted.filter((a) => a.what.includes('of B')).length} by B, first at ${accepted[0]!.at} ms)` : ''),
    );
    expect(failures.slice(0, 10)).toEqual([]);
    expect(accepted.slice(0, 10)).toEqual([]);
    // The stream covered the switch: requests before, during and after it.
    expect(answered.before).toBeGreaterThan(10);
    expect(answered.switching).toBeGreaterThan(10);
    expect(answered.after).toBeGreaterThan(10);
    const promoted = set.clientOf(replicaPort);

    // The loss was real: nothing that followed the ballast in the stream reached the replica, the
    // tombstones of the credentials revoked before the kill among them.
    expect(await promoted.exists(ballastKey), 'the ballast reached the replica: the socket buffers took it all, so nothing was held back').toBe(0);

    // A writes to the promoted primary: the tombstones it kept written there; both instances: a new
    // session's entry, the rate-limit counters, and both subscriptions (invalidations, gateway cancellations).
    for (const token of [doomedBefore.token, doomedDuring.token]) {
      await expect.poll(() => promoted.get(sessionKey(token)), { timeout: 5000, interval: 50 }).toBe('{"revoked":true}');
    }
    for (const via of both) {
      const late = await signInAs(via.url, 'uma@contoso.test');
      expect((await authUser(late.token, via)).status).toBe(200);
      await expect.poll(() => promoted.exists(sessionKey(late.token)), { timeout: 5000, interval: 50 }).toBe(1);
    }
    expect((await promoted.keys(`${app.cacheNamespace}:rate:*`)).length).toBeGreaterThan(0);
    const subscribers = async () => {
      const reply = (await promoted.call('PUBSUB', 'NUMSUB', `${app.cacheNamespace}:invalidate`, `${app.cacheNamespace}:gateway:cancel`)) as [string, number, string, number];
      return Math.min(reply[1], reply[3]);
    };
    await expect.poll(subscribers, { timeout: 5000, interval: 50 }).toBeGreaterThan(1);

    // Every revocation holds on both instances, now as at every moment since it was made.
    for (const via of both) {
      expect((await fetch(`${via.url}/readyz`)).status).toBe(200);
      expect((await authUser(doomedBefore.token, via)).status).toBe(401);
      expect((await authUser(doomedDuring.token, via)).status).toBe(401);
      expect((await withKey(keyBefore.secret, via)).status).toBe(401);
      expect((await withKey(keyDuring.secret, via)).status).toBe(401);
      expect((await withToken(tokenBefore.token, via)).status).toBe(401);
      expect((await withToken(tokenDuring.token, via)).status).toBe(401);
      expect((await withKey(liveKey.secret, via)).status).toBe(200);
      expect((await withToken(liveToken, via)).status).toBe(200);
    }
  });
});
