import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFactory, createContextInner } from './context';
import { ephemeralRegistryRuntime } from '../modules/registry/registry.runtime';
import { createCaller } from './router';
import { systemClock } from '../lib/clock';
import { createSession, sessionDeps } from '../modules/sessions/sessions.store';
import { resolveSession } from '../modules/sessions/sessions.validate';
import { seedDemoDirectory } from '../modules/tenants/demo-seed';
import { User } from '../modules/users/users.entity';
import { createDatabaseTarget, openTestDatabase, testCache, testSettings, type DatabaseTarget } from '../testing/harness';
import type { Database } from '../db/database';
import type { Cache } from '../cache/cache';

let target: DatabaseTarget;
let db: Database;
let cache: Cache;

beforeAll(async () => {
  target = await createDatabaseTarget();
  db = await openTestDatabase(target);
  cache = await testCache();
});
afterAll(async () => {
  await cache.close();
  await db.close();
  await target.drop();
});

/** The demo directory in the database, and live sessions of its people in their home tenants. */
async function demoSessions(settings: ReturnType<typeof testSettings>) {
  const em = db.orm.em.fork();
  await db.migrate();
  await seedDemoDirectory(em);
  const deps = sessionDeps({ em, cache, clock: systemClock, settings });
  const sessionOf = async (email: string) => {
    const user = await em.findOneOrFail(User, { email });
    const { token } = createSession(em, { userId: user.id, tenantId: user.homeTenant!.id, accessToken: 'x', userAgent: undefined, ipAddress: undefined, lifetime: deps.lifetime, now: new Date() });
    await em.flush();
    return (await resolveSession(deps, token))!;
  };
  return { deps, sessionOf };
}

describe('tRPC', () => {
  it('config.features reports the settings, through createCaller', async () => {
    const settings = testSettings({ MREG_FASTMCP_TENANT_SWITCHING_ENABLED: '0', MREG_FASTMCP_PREFERENCES_STORAGE: 'both', MREG_REDIS_URL: 'redis://127.0.0.1:1' });
    const caller = createCaller(createContextInner({ settings, cache, em: db.orm.em.fork(), session: null }));
    expect(await caller.config.features()).toEqual({
      enhancedAuth: true,
      userProfiles: true,
      sessionManagement: true,
      avatarStorage: true,
      tenantSwitching: false,
      tenantContextCaching: true,
      roleBasedUi: true,
      preferencesStorage: 'both',
      signIn: 'development',
      devSignInOpen: false,
    });
  });

  it('refuses auth.user without a session: UNAUTHORIZED', async () => {
    const caller = createCaller(createContextInner({ settings: testSettings(), cache, em: db.orm.em.fork(), session: null }));
    await expect(caller.auth.user()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('gives every request its own EntityManager, never the global one', async () => {
    const settings = testSettings();
    const createContext = contextFactory({ settings, cache, em: db.orm.em, clock: systemClock, registry: ephemeralRegistryRuntime(settings) });
    const request = () => ({ req: { cookies: {}, headers: {} }, res: {}, info: {} }) as unknown as Parameters<typeof createContext>[0];
    const one = await createContext(request());
    const two = await createContext(request());
    expect(one.em).not.toBe(two.em);
    expect(one.em).not.toBe(db.orm.em);
    expect(one.em.id).not.toBe(two.em.id);
  });

  it('runs the session procedures with their middleware and validation through createCaller', async () => {
    const settings = testSettings();
    const { deps, sessionOf } = await demoSessions(settings);
    const ada = await sessionOf('ada@contoso.test');
    const uma = await sessionOf('uma@contoso.test');
    const cleared: string[] = [];
    const callerFor = (session: typeof ada, s = settings) =>
      createCaller(createContextInner({ settings: s, cache, em: db.orm.em.fork(), session, sessionCookie: { set() {}, clear: () => cleared.push(session.sessionId) } }));

    expect((await callerFor(uma).auth.sessions()).map((s) => s.sessionId)).toEqual([uma.sessionId]);
    await expect(callerFor(uma).auth.revokeSession({ sessionId: ada.sessionId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(callerFor(uma).auth.revokeSession({ sessionId: 'nope' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const off = testSettings({ MREG_FASTMCP_SESSION_MANAGEMENT_ENHANCED: 'false' });
    await expect(callerFor(uma, off).auth.revokeOtherSessions()).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(await callerFor(ada).auth.revokeSession({ sessionId: ada.sessionId })).toEqual({ sessionId: ada.sessionId, signedOut: true });
    expect(cleared).toEqual([ada.sessionId]);
    expect(await resolveSession(deps, 'x'.repeat(43))).toBeNull();
  });

  it('runs tenantProcedure and requirePermission through createCaller: FORBIDDEN names what is missing', async () => {
    const settings = testSettings();
    const { sessionOf } = await demoSessions(settings);
    const callerFor = (session: Awaited<ReturnType<typeof sessionOf>>) =>
      createCaller(createContextInner({ settings, cache, em: db.orm.em.fork(), session }));

    const ada = await sessionOf('ada@contoso.test');
    expect((await callerFor(ada).tenants.members()).map((m) => m.email)).toContain('uma@contoso.test');
    const vic = await sessionOf('vic@fabrikam.test');
    await expect(callerFor(vic).tenants.members()).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'This needs the permission members:manage in Fabrikam, which your role there (viewer) does not give',
    });
    // A session whose active tenant no longer has the person: no tenant procedure runs.
    await expect(callerFor({ ...ada, tenantContext: null, permissions: [] }).tenants.members()).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'You have no active membership of the active tenant; switch to a tenant you belong to',
    });
    await expect(callerFor(ada).tenants.updateMember({ userId: ada.userId })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
