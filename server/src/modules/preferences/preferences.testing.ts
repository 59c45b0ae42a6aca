import { randomUUID } from 'node:crypto';
import { afterAll, expect } from 'vitest';
import type { AuthUser, CategoryPreferences, PreferencesStorage } from '@mreg/shared';
import { DEMO_TENANTS } from '../../identity/demo-directory';
import { CookieClient } from '../../testing/cookie-client';
import { deleteRedisKeys } from '../../testing/databases';
import { startTestApp, testRedisUrl, type TestApp, type TestAppOptions } from '../../testing/harness';
import { trpcMutation, trpcQuery, type TrpcAnswer } from '../../testing/sign-in';
import { createSession } from '../sessions/sessions.store';
import { preferenceHashes } from './preferences.store';
import { recordSignIn } from '../users/users.service';

// What the preference tests share: apps in each storage mode, people with sessions, and reads of
// what the database and Redis hold.

export const MODES: PreferencesStorage[] = ['database', 'redis', 'both'];
export const NOWHERE = 'redis://127.0.0.1:1';

export function envFor(mode: PreferencesStorage) {
  return {
    MREG_FASTMCP_PREFERENCES_STORAGE: mode,
    MREG_REDIS_URL: mode === 'database' ? undefined : (testRedisUrl ?? NOWHERE),
    MREG_SIGN_IN_RATE_LIMIT: '1000',
  };
}

/**
 * Starts apps in a storage mode (with the harness's options besides), each closed after the test
 * file with its Redis keys, under a namespace of its own, deleted.
 */
export function appsInModes(): (mode: PreferencesStorage, options?: Omit<TestAppOptions, 'env'> & { env?: Record<string, string> }) => Promise<TestApp> {
  const started: TestApp[] = [];
  afterAll(async () => {
    for (const app of started.splice(0)) {
      await app.close();
      if (testRedisUrl) await deleteRedisKeys(testRedisUrl, `${app.cacheNamespace}:`);
    }
  });
  return async (mode, { env, ...options } = {}) => {
    const app = await startTestApp({ ...options, env: { ...envFor(mode), ...env } });
    started.push(app);
    return app;
  };
}

export interface Person {
  userId: string;
  token: string;
  client: CookieClient;
}

/**
 * A new person of Contoso with a session, recorded by the sign-in's own code: each test has people
 * of its own, so that limits and counts do not depend on the order tests run in.
 */
export async function newPerson(app: TestApp): Promise<Person> {
  return app.db.orm.em.fork().transactional(async (tx) => {
    const oid = randomUUID();
    const { userId, tenantId } = await recordSignIn(tx, { oid, tid: DEMO_TENANTS[0].id, email: `${oid}@contoso.test`, name: 'Pat Tester', roles: [], tenantName: undefined });
    const { token } = createSession(tx, {
      userId,
      tenantId,
      accessToken: 'test',
      userAgent: undefined,
      ipAddress: undefined,
      lifetime: app.settings.sessionLifetime,
      now: new Date(),
    });
    return { userId, token, client: new CookieClient({ cookie: `mreg_session=${token}` }) };
  });
}

export const update = (app: TestApp, person: Person, category: string, preferences: unknown) =>
  trpcMutation(person.client, app.url, 'auth.updatePreferences', { category, preferences });
/**
 * `auth.updatePreferences` with a body written by hand, for what JSON.stringify cannot write: nesting
 * deeper than its recursion, or numbers such as 1e400 (it writes Infinity as null).
 */
export const updateWithBody = (app: TestApp, person: Person, body: string) =>
  person.client.request(`${app.url}/trpc/auth.updatePreferences`, {
    method: 'POST',
    headers: { origin: app.url, 'x-mreg-csrf': '1', 'content-type': 'application/json' },
    body,
  });
export const read = (app: TestApp, person: Person, category: string) => trpcQuery(person.client, app.url, 'auth.preferences', { category });

export function ok(answer: TrpcAnswer): CategoryPreferences {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.result!.data as CategoryPreferences;
}

export function refused(answer: TrpcAnswer, message: string | RegExp) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(400);
  expect(answer.body.error?.data.code).toBe('BAD_REQUEST');
  expect(answer.body.error?.message).toMatch(message);
}

export async function authUser(app: TestApp, person: Person): Promise<AuthUser> {
  const answer = await trpcQuery(person.client, app.url, 'auth.user');
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.result!.data as AuthUser;
}

/** The person's rows in user_preferences, by category. */
export async function rows(app: TestApp, userId: string): Promise<Record<string, CategoryPreferences>> {
  const found = await app.db.orm.em.fork().execute<{ category: string; key: string; value: unknown }[]>(
    'select category, key, value from user_preferences where user_id = ? order by category, key',
    [userId],
  );
  const byCategory: Record<string, CategoryPreferences> = {};
  for (const row of found) (byCategory[row.category] ??= {})[row.key] = row.value;
  return byCategory;
}

/** What Redis (or the in-process cache standing in for it) holds for the person, by category. */
export async function cached(app: TestApp, userId: string): Promise<Record<string, CategoryPreferences>> {
  const group = await preferenceHashes(app.cache).readGroup(`prefs:${userId}`);
  return Object.fromEntries(Object.entries(group.members).map(([category, hash]) => [category, hash.fields]));
}

export const keys = (count: number, prefix = 'k') => Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, i]));
