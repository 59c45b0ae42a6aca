import { afterAll, beforeAll } from 'vitest';
import type { AuthUser } from '@mreg/shared';
import { manualClock } from '../../lib/clock';
import { hashToken } from '../../lib/tokens';
import { CookieClient } from '../../testing/cookie-client';
import { startTestApp, type TestApp } from '../../testing/harness';
import { signInAs, trpcQuery } from '../../testing/sign-in';

// What the session tests share: the app on a clock they move, and the helpers that read a session
// as a browser (auth.user) and as the database holds it.

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** 24 h sessions, renewed in their last 2 h, never beyond 48 h, ended after 12 h unused. */
export const LIFETIME = {
  MREG_FASTMCP_SESSION_EXPIRE_HOURS: '24',
  MREG_FASTMCP_SESSION_REFRESH_THRESHOLD: '2',
  MREG_FASTMCP_SESSION_ABSOLUTE_HOURS: '48',
  MREG_FASTMCP_SESSION_IDLE_TIMEOUT_MINUTES: '720',
  MREG_SIGN_IN_RATE_LIMIT: '1000',
};
export const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
export const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export const clock = manualClock();
/** The test file's app (useSessionsApp). */
export let app: TestApp;
/** Starts the test file's app, on `clock` with LIFETIME, and closes it after the file. */
export function useSessionsApp(): void {
  beforeAll(async () => {
    app = await startTestApp({ clock, env: LIFETIME });
  });
  afterAll(async () => {
    await app?.close();
  });
}

export const browser = (userAgent = FIREFOX) => new CookieClient({ 'user-agent': userAgent });
export const holding = (token: string) => new CookieClient({ cookie: `mreg_session=${token}` });
export const signIn = (email: string, client = browser(), on = app) => signInAs(on.url, email, { client });

export async function me(client: CookieClient, on = app): Promise<AuthUser> {
  const answer = await trpcQuery(client, on.url, 'auth.user');
  if (answer.status !== 200) throw new Error(`auth.user answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.result!.data as AuthUser;
}
export const status = async (client: CookieClient, on = app) => (await trpcQuery(client, on.url, 'auth.user')).status;
export const iso = (ms: number) => new Date(ms).toISOString();

export async function row(token: string, on = app) {
  const [found] = await on.db.orm.em
    .fork()
    .execute(`select id, created_at, last_activity, expires_at, revoked_at from enhanced_sessions where session_token = ?`, [hashToken(token)]);
  return found && {
    id: found.id as string,
    lastActivity: new Date(found.last_activity).getTime(),
    expiresAt: new Date(found.expires_at).getTime(),
    revoked: found.revoked_at !== null,
  };
}
