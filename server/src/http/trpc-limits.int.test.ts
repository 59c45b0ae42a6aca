import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TRPC_MAX_BATCH_SIZE } from '@mreg/shared';
import { hashToken } from '../lib/tokens';
import { databaseMode, startTestApp, testRedisUrl, type TestApp } from '../testing/harness';
import { signInAs } from '../testing/sign-in';

/**
 * Issue 17, point 2: one /trpc request holds at most TRPC_MAX_BATCH_SIZE calls, and each session (or
 * client address, without one) at most MREG_TRPC_RATE_LIMIT calls a minute, counted in Redis when
 * the app has it.
 */

const METRICS_TOKEN = randomBytes(32).toString('base64url');
const cacheKind = testRedisUrl ? 'redis' : 'memory';

const apps: TestApp[] = [];
const redis: Redis[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  for (const client of redis.splice(0)) client.disconnect();
});

async function app(env: Record<string, string> = {}, sameStoresAs?: TestApp) {
  const a = await startTestApp({ env: { MREG_METRICS_TOKEN: METRICS_TOKEN, ...env }, sameStoresAs });
  apps.push(a);
  return a;
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/**
 * A /trpc request as MREG's clients send it: with the session cookie if given and the CSRF header,
 * and as the app's own page for a POST; `headerless`, as another site's page or a bare script would,
 * without the header.
 */
async function trpc(a: TestApp, path: string, { token, body, headerless = false }: { token?: string; body?: unknown; headerless?: boolean } = {}): Promise<Answer> {
  const headers: Record<string, string> = {
    ...(token !== undefined && { cookie: `mreg_session=${token}` }),
    ...(!headerless && { 'x-mreg-csrf': '1' }),
  };
  const init: RequestInit =
    body === undefined
      ? { headers }
      : { method: 'POST', headers: { ...headers, origin: a.url, 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(`${a.url}/trpc/${path}`, init);
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** The path of `n` calls of `procedure` in one request. */
const batch = (procedure: string, n: number, separator = ',') => `${Array.from({ length: n }, () => procedure).join(separator)}?batch=1`;
/** The inputs of `n` preference writes, by batch index. */
const writes = (n: number, category: string) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), { category, preferences: { [`k${i}`]: i } }]));

/** Every tRPC call the app has run, by its own count (/metrics). */
async function callsRun(a: TestApp): Promise<number> {
  const text = await (await fetch(`${a.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  return [...text.matchAll(/^mreg_trpc_calls_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

const preferences = async (a: TestApp, token: string, category: string) => (await trpc(a, `auth.preferences?input=${encodeURIComponent(JSON.stringify({ category }))}`, { token })).body.result.data;

describe(`tRPC batches (${databaseMode}, ${cacheKind} cache)`, () => {
  it(`refuses a batch of more than ${TRPC_MAX_BATCH_SIZE} calls with 400 naming the limit, running none of them`, async () => {
    expect(TRPC_MAX_BATCH_SIZE).toBe(10);
    const a = await app();
    const { token } = await signInAs(a.url, 'ada@contoso.test');
    const before = await callsRun(a);

    const eleven = await trpc(a, batch('auth.updatePreferences', 11), { token, body: writes(11, 'batched') });
    expect(eleven.status).toBe(400);
    expect(eleven.body).toEqual({
      error: { message: 'A batch of 11 calls; one request may hold at most 10', code: -32600, data: { code: 'BAD_REQUEST', httpStatus: 400 } },
    });
    const thousand = await trpc(a, batch('auth.user', 1000), { token });
    expect(thousand.status).toBe(400);
    expect(thousand.body.error.message).toBe('A batch of 1000 calls; one request may hold at most 10');
    // Commas tRPC decodes count as commas.
    expect((await trpc(a, batch('auth.user', 11, '%2C'), { token })).status).toBe(400);

    expect(await callsRun(a)).toBe(before);
    expect(await preferences(a, token, 'batched')).toEqual({});

    // At the limit, every call runs.
    const beforeTen = await callsRun(a);
    const ten = await trpc(a, batch('auth.updatePreferences', 10), { token, body: writes(10, 'batched') });
    expect(ten.status).toBe(200);
    expect(ten.body).toHaveLength(10);
    expect(await callsRun(a)).toBe(beforeTen + 10);
    expect(Object.keys(await preferences(a, token, 'batched'))).toHaveLength(10);
  });
});

describe(`MREG_TRPC_RATE_LIMIT (${databaseMode}, ${cacheKind} cache)`, () => {
  const LIMIT = 6;

  it('answers 429 TOO_MANY_REQUESTS with Retry-After once a session has made its calls for the minute, running none; other sessions and callers go on', async () => {
    const a = await app({ MREG_TRPC_RATE_LIMIT: String(LIMIT) });
    const ada = await signInAs(a.url, 'ada@contoso.test');
    const adaElsewhere = await signInAs(a.url, 'ada@contoso.test');
    const uma = await signInAs(a.url, 'uma@contoso.test');

    for (let i = 0; i < LIMIT; i++) {
      const answer = await trpc(a, 'auth.user', { token: ada.token });
      expect(answer.status, `call ${i + 1}`).toBe(200);
      expect(String(answer.headers.get('ratelimit'))).toMatch(new RegExp(`^"trpc"; r=${LIMIT - i - 1}; t=\\d+$`));
    }
    const refused = await trpc(a, 'auth.user', { token: ada.token });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body).toEqual({
      error: {
        message: `Too many calls from this session: at most ${LIMIT} a minute. Try again in ${retryAfter} s.`,
        code: -32029,
        data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429 },
      },
    });
    // A refused change is not made: Ada's other session (its own count) sees nothing.
    expect((await trpc(a, 'auth.updatePreferences', { token: ada.token, body: { category: 'late', preferences: { k: 1 } } })).status).toBe(429);
    expect(await preferences(a, adaElsewhere.token, 'late')).toEqual({});

    expect((await trpc(a, 'auth.user', { token: uma.token })).status).toBe(200);
    expect((await trpc(a, 'config.features')).status).toBe(200);
    expect(a.logs.some((line) => line.includes('tRPC rate limit reached'))).toBe(true);
  });

  it('counts a batch as its calls', async () => {
    const a = await app({ MREG_TRPC_RATE_LIMIT: String(LIMIT) });
    const { token } = await signInAs(a.url, 'vic@fabrikam.test');
    const other = await signInAs(a.url, 'vic@fabrikam.test');

    expect((await trpc(a, batch('auth.user', 4), { token })).status).toBe(200);
    // 4 + 3 > 6: the whole batch is refused, none of its calls run.
    const refused = await trpc(a, batch('auth.updatePreferences', 3), { token, body: writes(3, 'counted') });
    expect(refused.status).toBe(429);
    expect(refused.body.error.data.code).toBe('TOO_MANY_REQUESTS');
    expect(await preferences(a, other.token, 'counted')).toEqual({});
  });

  it('counts callers without a live session by address, whatever session cookie they make up', async () => {
    const a = await app({ MREG_TRPC_RATE_LIMIT: String(LIMIT) });
    const { token } = await signInAs(a.url, 'ada@contoso.test');
    const madeUp = () => randomBytes(32).toString('base64url');
    for (let i = 0; i < LIMIT; i++) expect((await trpc(a, 'config.features', { token: madeUp() })).status, `call ${i + 1}`).toBe(200);
    const refused = await trpc(a, 'config.features', { token: madeUp() });
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(new RegExp(`^Too many calls from this address without a session: at most ${LIMIT} a minute`));
    expect((await trpc(a, 'config.features')).status).toBe(429);
    expect((await trpc(a, 'auth.user', { token })).status).toBe(200);
  });

  it("keeps requests without the CSRF header (another site's page, a bare script) to a count of their own: they cannot use up a person's calls", async () => {
    const a = await app({ MREG_TRPC_RATE_LIMIT: String(LIMIT) });
    const { token } = await signInAs(a.url, 'ada@contoso.test');
    // What another site's page can make ada's browser send: her cookie, her address, no header.
    for (let i = 0; i < LIMIT; i++) expect((await trpc(a, 'auth.user', { token, headerless: true })).status, `call ${i + 1}`).toBe(200);
    const refused = await trpc(a, 'auth.user', { token, headerless: true });
    expect(refused.status).toBe(429);
    expect(refused.body.error.message).toMatch(/^Too many calls from this address without the x-mreg-csrf header \(MREG's own clients send it\): at most 6 a minute/);
    expect((await trpc(a, 'config.features', { headerless: true })).status).toBe(429);
    // The app's own calls, hers and those of signed-out pages at her address, go on.
    expect((await trpc(a, 'auth.user', { token })).status).toBe(200);
    expect((await trpc(a, 'config.features')).status).toBe(200);
  });

  it(`is counted ${cacheKind === 'redis' ? 'in Redis, across the instances sharing it' : 'per instance with the in-process cache'}, under the session id, never its token`, async () => {
    const first = await app({ MREG_TRPC_RATE_LIMIT: String(LIMIT) });
    const second = await app({ MREG_TRPC_RATE_LIMIT: String(LIMIT) }, first);
    const { token } = await signInAs(first.url, 'ada@contoso.test');
    for (let i = 0; i < 4; i++) expect((await trpc(first, 'auth.user', { token })).status).toBe(200);
    // The second instance takes calls until it refuses one (a few past the limit at most).
    let taken = 0;
    let me: Answer | undefined;
    for (let answer = await trpc(second, 'auth.user', { token }); answer.status === 200 && taken <= LIMIT; answer = await trpc(second, 'auth.user', { token })) {
      me = answer;
      taken++;
    }
    // What is left of the minute where the count is shared; a whole minute's calls where it is not.
    expect(taken).toBe(cacheKind === 'redis' ? LIMIT - 4 : LIMIT);
    expect((await trpc(first, 'auth.user', { token })).status).toBe(cacheKind === 'redis' ? 429 : 200);

    if (cacheKind === 'redis') {
      const probe = new Redis(testRedisUrl!, { lazyConnect: true, maxRetriesPerRequest: 1 });
      redis.push(probe);
      await probe.connect();
      const keys = await probe.keys(`${first.cacheNamespace}:rate:trpc:*`);
      expect(keys).toEqual([`${first.cacheNamespace}:rate:trpc:session:${me!.body.result.data.sessionInfo.sessionId}`]);
      expect(keys.join()).not.toContain(token);
      expect(keys.join()).not.toContain(hashToken(token));
    }
  });
});
