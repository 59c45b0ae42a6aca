import { expect } from 'vitest';
import type { Hop } from './cookie-client';
import type { TestApp } from './harness';

/** Rows that sign-in creates: sessions, and sign-in requests in progress. */
export async function signInRows(app: TestApp) {
  const [row] = await app.db.orm.em.fork().execute<{ sessions: string; requests: string }[]>(
    `select (select count(*) from enhanced_sessions) as sessions, (select count(*) from sign_in_requests) as requests`,
  );
  return { sessions: Number(row!.sessions), requests: Number(row!.requests) };
}

/**
 * A refused sign-in: a readable HTML page with the status and reason, no session cookie, no new
 * session row, and no sign-in request left behind.
 */
export async function expectRefusedSignIn(
  app: TestApp,
  hop: Hop,
  expected: { status: number; reason: string; sessionsBefore: number; says?: RegExp },
) {
  expect(hop.status, hop.body).toBe(expected.status);
  expect(hop.headers.get('content-type')).toMatch(/^text\/html/);
  expect(hop.body).toContain('<h1>Sign-in failed</h1>');
  expect(hop.body).toContain(`Reason: ${expected.reason}`);
  if (expected.says) expect(hop.body).toMatch(expected.says);
  expect(hop.setCookies.filter((c) => c.key.endsWith('mreg_session'))).toEqual([]);
  expect(await signInRows(app)).toEqual({ sessions: expected.sessionsBefore, requests: 0 });
}
