import { afterAll, beforeAll } from 'vitest';
import type { AuthUser } from '@mreg/shared';
import { CookieClient } from '../../testing/cookie-client';
import { startTestApp, type TestApp } from '../../testing/harness';
import { signInAs, trpcMutation, trpcQuery } from '../../testing/sign-in';

// What the profile and avatar tests share: the app with a long profile cache, signing in, reading
// auth.user, updating a profile over HTTP, and the profile as the database holds it.

export const ENV = { MREG_SIGN_IN_RATE_LIMIT: '1000', MREG_FASTMCP_PROFILE_CACHE_TTL: '3600' };

/** The test file's app (useProfilesApp). */
export let app: TestApp;
/** Starts the test file's app, with ENV, and closes it after the file. */
export function useProfilesApp(): void {
  beforeAll(async () => {
    app = await startTestApp({ env: ENV });
  });
  afterAll(async () => {
    await app?.close();
  });
}

export const signIn = async (email: string, on = app) => (await signInAs(on.url, email, { client: new CookieClient() })).client;

export async function me(client: CookieClient, on = app): Promise<AuthUser> {
  const answer = await trpcQuery(client, on.url, 'auth.user');
  if (answer.status !== 200) throw new Error(`auth.user answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.result!.data as AuthUser;
}

export const updateOverHttp = (client: CookieClient, input: unknown, on = app) => trpcMutation(client, on.url, 'auth.updateProfile', input);

export async function profileRow(userId: string, on = app) {
  const [row] = await on.db.orm.em.fork().execute(`select display_name, bio, avatar_url, preferences from user_profiles where user_id = ?`, [userId]);
  return row as { display_name: string | null; bio: string | null; avatar_url: string | null; preferences: Record<string, unknown> };
}
