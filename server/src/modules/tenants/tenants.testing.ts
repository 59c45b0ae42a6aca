import { afterAll, beforeAll } from 'vitest';
import type { AuthUser } from '@mreg/shared';
import { DEMO_TENANTS } from '../../identity/demo-directory';
import { CookieClient } from '../../testing/cookie-client';
import { startTestApp, type TestApp } from '../../testing/harness';
import { trpcMutation, trpcQuery, type TrpcAnswer } from '../../testing/sign-in';
import { createSession } from '../sessions/sessions.store';
import { dropTenantContexts } from './tenant-context';

// What the tenant tests share: the app with two people outside both demo tenants, sessions made in
// the database, memberships set behind the app's back, and the snapshot a refused call must leave.

export const [CONTOSO, FABRIKAM] = DEMO_TENANTS;
/**
 * People MREG knows who are in neither demo tenant (no home tenant): whom the tests add and remove.
 * A tenant finds them by email only once they are in reach (tenants.service.ts, personToAdd): a
 * deactivated member of it, or a member of another tenant the acting admin is in.
 */
export const ZOE = { email: 'zoe@example.test', externalId: 'zoe-oid' };
export const YAN = { email: 'yan@example.test', externalId: 'yan-oid' };

/** The test file's app (useTenantsApp). */
export let app: TestApp;
/** Every user's id by email, filled when the app starts. */
export const ids: Record<string, string> = {};
/** Starts the test file's app, with ZOE and YAN known to it, and closes it after the file. */
export function useTenantsApp(): void {
  beforeAll(async () => {
    app = await startTestApp({ env: { MREG_SIGN_IN_RATE_LIMIT: '1000' } });
    const em = app.db.orm.em.fork();
    for (const person of [ZOE, YAN]) {
      await em.execute(`insert into users (external_id, email, name, roles) values (?, ?, ?, '[]')`, [person.externalId, person.email, person.email]);
    }
    for (const row of await em.execute<{ id: string; email: string }[]>(`select id, email from users`)) ids[row.email] = row.id;
  });
  afterAll(async () => {
    await app?.close();
  });
}

export const em = () => app.db.orm.em.fork();

/** A browser holding a session of `email` whose active tenant is `tenantId`, made directly in the database. */
export async function sessionIn(email: string, tenantId: string): Promise<{ client: CookieClient; token: string }> {
  const fork = em();
  const { token } = createSession(fork, {
    userId: ids[email]!,
    tenantId,
    accessToken: 'test',
    userAgent: 'tenants test',
    ipAddress: '127.0.0.1',
    lifetime: app.settings.sessionLifetime,
    now: new Date(),
  });
  await fork.flush();
  const client = new CookieClient();
  await client.jar.setCookie(`mreg_session=${token}`, app.url);
  return { client, token };
}

export const holding = (token: string) => new CookieClient({ cookie: `mreg_session=${token}` });
export const query = (client: CookieClient, path: string, input?: unknown) => trpcQuery(client, app.url, path, input);
export const mutate = (client: CookieClient, path: string, input?: unknown) => trpcMutation(client, app.url, path, input);
export const data = <T>(answer: TrpcAnswer): T => {
  if (answer.status !== 200) throw new Error(`answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.result!.data as T;
};
export const me = async (client: CookieClient) => data<AuthUser>(await query(client, 'auth.user'));
export const newCookie = (answer: TrpcAnswer) => answer.hop.setCookies.find((c) => c.key === 'mreg_session')?.value;

/** Sets a membership as a test needs it: a role, deactivated, or absent. */
export async function setMembership(email: string, tenantId: string, state: 'admin' | 'member' | 'viewer' | 'deactivated' | 'none') {
  const fork = em();
  const userId = ids[email]!;
  await fork.execute(`delete from user_tenant_memberships where user_id = ? and tenant_id = ?`, [userId, tenantId]);
  if (state !== 'none') {
    await fork.execute(
      `insert into user_tenant_memberships (user_id, tenant_id, role, permissions, is_active) values (?, ?, ?, '[]', ?)`,
      [userId, tenantId, state === 'deactivated' ? 'member' : state, state !== 'deactivated'],
    );
  }
  // Changed behind the app's back: what a membership change through the app does for the cache.
  await dropTenantContexts(app.cache, tenantId, [userId]);
}

/** What a refused call must leave as it was: the tenant's memberships and every session. */
export async function snapshot() {
  const fork = em();
  return {
    memberships: await fork.execute(
      `select user_id, tenant_id, role, permissions, is_active, last_active from user_tenant_memberships order by tenant_id, user_id`,
    ),
    sessions: await fork.execute(
      `select id, session_token, tenant_context, revoked_at, rotation_due_at, expires_at from enhanced_sessions order by id`,
    ),
  };
}
