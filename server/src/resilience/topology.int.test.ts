import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieClient, type Hop } from '../testing/cookie-client';
import { createScratchDatabase, deleteRedisKeys, type ScratchDatabase } from '../testing/databases';
import type { EntraPerson } from '../testing/entra-stand-in';
import { adminDatabaseUrl, testRedisUrl, uniqueName } from '../testing/harness';
import { startThrowawayRedis, type ThrowawayRedis } from '../testing/throwaway-redis';
import { startTopology, type Topology } from '../testing/topology';
import { signOut, trpcMutation, trpcQuery, type TrpcAnswer } from '../testing/sign-in';

/**
 * Several instances behind one address (issue 23): two MREG processes on one PostgreSQL and one
 * Redis behind HAProxy, round robin with no stickiness (testing/topology.ts, as README.md's "Running
 * several instances" describes it), and everything done through the proxy, whichever instance
 * answers. HAProxy names the instance that answered in X-Served-By.
 */

let topology: Topology;
let database: ScratchDatabase;
let ownRedis: ThrowawayRedis | undefined;
const namespace = uniqueName();

beforeAll(async () => {
  database = await createScratchDatabase(adminDatabaseUrl(), uniqueName());
  // The run's Redis when there is one (CI's second mode), else one of this file's own.
  ownRedis = testRedisUrl ? undefined : await startThrowawayRedis();
  topology = await startTopology({
    databaseUrl: database.url,
    redisUrl: testRedisUrl ?? ownRedis!.url,
    namespace,
    env: { MREG_OAUTH_REGISTRATION_RATE_LIMIT: '6' },
  });
}, 120_000);

afterAll(async () => {
  await topology?.close();
  if (testRedisUrl) await deleteRedisKeys(testRedisUrl, namespace);
  await ownRedis?.kill();
  await database?.drop();
}, 60_000);

const servedBy = (hop: Hop) => hop.headers.get('x-served-by');

function person(tenant: 0 | 1, name: string, roles: string[] = []): EntraPerson {
  return { tid: topology.entra.tenants[tenant].id, oid: randomUUID(), email: `${name.toLowerCase()}.${randomUUID().slice(0, 8)}@example.test`, name, roles };
}

interface Browser {
  client: CookieClient;
  /** The instances that answered /auth/login and /auth/callback. */
  login: string | null;
  callback: string | null;
}

/** A browser's sign-in through the proxy: /auth/login, Entra ID (the stand-in), /auth/callback. */
async function signIn(who: EntraPerson, headers: Record<string, string> = {}): Promise<Browser> {
  const client = new CookieClient(headers, topology.entra.transport(who));
  const login = await client.request(`${topology.url}/auth/login`);
  expect(login.status, login.body).toBe(302);
  const authorize = await client.request(login.location!);
  expect(authorize.status, authorize.body).toBe(302);
  const callback = await client.request(authorize.location!);
  expect(callback.status, callback.body).toBe(303);
  return { client, login: servedBy(login), callback: servedBy(callback) };
}

const query = (browser: Browser, path: string, input?: unknown) => trpcQuery(browser.client, topology.url, path, input);
const mutate = (browser: Browser, path: string, input?: unknown) => trpcMutation(browser.client, topology.url, path, input);
const data = <T>(answer: TrpcAnswer) => {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.result!.data as T;
};

/** Asks `times` times in a row: round robin sends them to every instance. */
async function onEveryInstance(times: number, ask: () => Promise<TrpcAnswer>): Promise<{ status: number; by: string | null }[]> {
  const answers: { status: number; by: string | null }[] = [];
  for (let i = 0; i < times; i++) {
    const answer = await ask();
    answers.push({ status: answer.status, by: servedBy(answer.hop) });
  }
  expect(new Set(answers.map((a) => a.by))).toEqual(new Set(topology.instances.map((i) => i.name)));
  return answers;
}

describe('through the proxy, whichever instance answers', () => {
  it('browser sign-in: the pre-auth state is made on one instance and the callback lands on the other', async () => {
    const ada = person(0, 'Ada', ['admin']);
    const browsers = [await signIn(ada), await signIn(ada), await signIn(ada)];
    // Round robin with nothing else going through: /auth/login and /auth/callback alternate.
    expect(browsers.filter((b) => b.login !== b.callback).length).toBeGreaterThan(0);
    for (const browser of browsers) {
      const answers = await onEveryInstance(2, () => query(browser, 'auth.user'));
      expect(answers.every((a) => a.status === 200)).toBe(true);
    }
    expect(topology.entra.redeemed).toBeGreaterThanOrEqual(3);
  });

  it('a session revoked through one instance is refused by the other at its next request, and so is a signed-out one', async () => {
    const uma = person(0, 'Uma');
    // A client's own X-Forwarded-For is not believed: MREG_TRUST_PROXY=1 takes the address HAProxy added.
    const first = await signIn(uma, { 'x-forwarded-for': '203.0.113.9' });
    const [second, third] = [await signIn(uma), await signIn(uma)];
    const sessions = data<{ sessionId: string; isCurrent: boolean; ipAddress: string | null }[]>(await query(first, 'auth.sessions'));
    const mine = sessions.find((s) => s.isCurrent)!;
    expect(sessions.filter((s) => !s.isCurrent)).toHaveLength(2);
    expect(sessions.map((s) => s.ipAddress)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    const secondId = data<{ sessionInfo: { sessionId: string } }>(await query(second, 'auth.user')).sessionInfo.sessionId;
    const revoked = await mutate(first, 'auth.revokeSession', { sessionId: secondId });
    data(revoked);
    const after = await onEveryInstance(2, () => query(second, 'auth.user'));
    expect(after.map((a) => a.status)).toEqual([401, 401]);
    const signedOut = await signOut(third.client, topology.url);
    expect(signedOut.status).toBe(200);
    expect((await onEveryInstance(2, () => query(third, 'auth.user'))).map((a) => a.status)).toEqual([401, 401]);
    expect((await onEveryInstance(2, () => query(first, 'auth.user'))).map((a) => a.status)).toEqual([200, 200]);
    expect(mine.sessionId).not.toBe(secondId);
  });
});
