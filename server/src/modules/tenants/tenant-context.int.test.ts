import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuthUser, Features } from '@mreg/shared';
import type { CookieClient } from '../../testing/cookie-client';
import { databaseMode, startTestApp, type TestApp } from '../../testing/harness';
import { signInAs, trpcMutation, trpcQuery } from '../../testing/sign-in';

/**
 * The standing in a tenant with and without MREG_FASTMCP_TENANT_CONTEXT_CACHING, and the feature
 * switches of issue 5: a switched-off feature's procedures refuse, naming the variable, and
 * `config.features` reports them so that the SPA can hide them.
 */

const me = async (app: TestApp, client: CookieClient) => {
  const answer = await trpcQuery(client, app.url, 'auth.user');
  if (answer.status !== 200) throw new Error(`auth.user answered ${answer.status}`);
  return answer.body.result!.data as AuthUser;
};

/** Changes uma's role in Contoso behind the app's back, as another tool writing the database would. */
async function setRoleBehindTheBack(app: TestApp, userId: string, role: string) {
  await app.db.orm.em.fork().execute(`update user_tenant_memberships set role = ? where user_id = ?`, [role, userId]);
}

// Three servers (each start costs seconds on PGlite): the defaults; tenant-context caching, tenant
// switching and role-based UI off; enhanced authentication off.
let cached: TestApp;
let partly: TestApp;
let basic: TestApp;
beforeAll(async () => {
  cached = await startTestApp();
  partly = await startTestApp({
    env: { MREG_FASTMCP_TENANT_CONTEXT_CACHING: 'false', MREG_FASTMCP_TENANT_SWITCHING_ENABLED: 'false', MREG_FASTMCP_ROLE_BASED_UI_ENABLED: 'false' },
  });
  basic = await startTestApp({ env: { MREG_FASTMCP_ENHANCED_AUTH_ENABLED: 'false' } });
});
afterAll(async () => {
  await cached?.close();
  await partly?.close();
  await basic?.close();
});

describe(`tenant contexts (${databaseMode})`, () => {
  it('cached per user and tenant: answered from the cache until a membership change through the app drops it', async () => {
    const uma = await signInAs(cached.url, 'uma@contoso.test');
    const first = await me(cached, uma.client);
    const key = `tenant-context:${first.tenantContext!.tenantId}:${first.user.id}`;
    expect(await cached.cache.get(key)).toEqual({ context: first.tenantContext });

    await setRoleBehindTheBack(cached, first.user.id, 'viewer');
    // Not read from the database while cached...
    expect((await me(cached, uma.client)).tenantContext?.role).toBe('member');
    // ...and a change through the app reaches the very next request.
    const ada = await signInAs(cached.url, 'ada@contoso.test');
    const changed = await trpcMutation(ada.client, cached.url, 'tenants.updateMember', { userId: first.user.id, role: 'admin' });
    expect(changed.status).toBe(200);
    expect((await me(cached, uma.client)).tenantContext).toMatchObject({ role: 'admin', isAdmin: true });
    expect(await cached.cache.get(key)).toMatchObject({ context: { role: 'admin' } });
  });

  it("is read in the session's own round trip once the process knows the token", async () => {
    const ada = await signInAs(cached.url, 'ada@contoso.test');
    const first = await me(cached, ada.client);
    const key = `tenant-context:${first.tenantContext!.tenantId}:${first.user.id}`;
    const getMany = vi.spyOn(cached.cache, 'getMany');
    const get = vi.spyOn(cached.cache, 'get');
    try {
      expect((await me(cached, ada.client)).tenantContext).toEqual(first.tenantContext);
      // Two round trips in all: the session with its tenant context, then the profile and preferences.
      expect(getMany).toHaveBeenCalledTimes(2);
      const withContext = getMany.mock.calls.filter(([keys]) => keys.includes(key));
      expect(withContext).toHaveLength(1);
      expect(withContext[0]![0].some((k) => /^session:[0-9a-f]{64}$/.test(k))).toBe(true);
      // Beyond that one call: the in-process cache builds getMany on get, Redis does not.
      expect(get.mock.calls.filter(([k]) => k === key)).toHaveLength(cached.cache.kind === 'memory' ? 1 : 0);
    } finally {
      getMany.mockRestore();
      get.mockRestore();
    }
  });

  it('without caching: read from the database on every request, nothing cached', async () => {
    const uma = await signInAs(partly.url, 'uma@contoso.test');
    const first = await me(partly, uma.client);
    expect(await partly.cache.get(`tenant-context:${first.tenantContext!.tenantId}:${first.user.id}`)).toBeUndefined();
    await setRoleBehindTheBack(partly, first.user.id, 'viewer');
    expect((await me(partly, uma.client)).tenantContext).toMatchObject({ role: 'viewer', permissions: ['registry:read', 'members:read'] });
    await setRoleBehindTheBack(partly, first.user.id, 'member');
    expect((await me(partly, uma.client)).tenantContext?.role).toBe('member');
    const features = (await trpcQuery(uma.client, partly.url, 'config.features')).body.result!.data as Features;
    expect(features.tenantContextCaching).toBe(false);
  });
});

describe(`feature switches (${databaseMode})`, () => {
  /** Calls a procedure as a query or a mutation, with the inputs a real caller would send. */
  const CALLS: Record<string, { kind: 'query' | 'mutation'; input?: unknown }> = {
    'auth.tenants': { kind: 'query' },
    'auth.switchTenant': { kind: 'mutation', input: { tenantId: 'any' } },
    'tenants.members': { kind: 'query' },
    'tenants.addMember': { kind: 'mutation', input: { email: 'uma@contoso.test', role: 'viewer' } },
    'tenants.updateMember': { kind: 'mutation', input: { userId: '00000000-0000-4000-8000-000000000000', role: 'viewer' } },
    'tenants.removeMember': { kind: 'mutation', input: { userId: '00000000-0000-4000-8000-000000000000' } },
    'tenants.memberSessions': { kind: 'query', input: { userId: '00000000-0000-4000-8000-000000000000' } },
    'tenants.revokeMemberSessions': { kind: 'mutation', input: { userId: '00000000-0000-4000-8000-000000000000' } },
    'auth.sessions': { kind: 'query' },
    'auth.updateProfile': { kind: 'mutation', input: { displayName: 'Ada' } },
    'auth.preferences': { kind: 'query', input: { category: 'ui' } },
    'auth.updatePreferences': { kind: 'mutation', input: { category: 'ui', preferences: { theme: 'dark' } } },
  };
  const call = (app: TestApp, client: CookieClient, path: string) => {
    const { kind, input } = CALLS[path]!;
    return kind === 'query' ? trpcQuery(client, app.url, path, input) : trpcMutation(client, app.url, path, input);
  };

  it('tenant switching and role-based UI off: their procedures refuse, naming the variable; the rest works', async () => {
    const { client } = await signInAs(partly.url, 'ada@contoso.test');
    const off = {
      'auth.tenants': 'Tenant switching is switched off on this server (MREG_FASTMCP_TENANT_SWITCHING_ENABLED=false)',
      'auth.switchTenant': 'Tenant switching is switched off on this server (MREG_FASTMCP_TENANT_SWITCHING_ENABLED=false)',
      'tenants.members': 'Role-based UI is switched off on this server (MREG_FASTMCP_ROLE_BASED_UI_ENABLED=false)',
      'tenants.addMember': 'Role-based UI is switched off on this server (MREG_FASTMCP_ROLE_BASED_UI_ENABLED=false)',
      'tenants.updateMember': 'Role-based UI is switched off on this server (MREG_FASTMCP_ROLE_BASED_UI_ENABLED=false)',
      'tenants.removeMember': 'Role-based UI is switched off on this server (MREG_FASTMCP_ROLE_BASED_UI_ENABLED=false)',
      'tenants.memberSessions': 'Role-based UI is switched off on this server (MREG_FASTMCP_ROLE_BASED_UI_ENABLED=false)',
      'tenants.revokeMemberSessions': 'Role-based UI is switched off on this server (MREG_FASTMCP_ROLE_BASED_UI_ENABLED=false)',
    };
    for (const [path, message] of Object.entries(off)) {
      const answer = await call(partly, client, path);
      expect(answer.status, path).toBe(412);
      expect(answer.body.error).toMatchObject({ message, data: { code: 'PRECONDITION_FAILED' } });
    }
    expect((await call(partly, client, 'auth.sessions')).status).toBe(200);
    // The effective permissions are still reported: they are what the server enforces elsewhere.
    expect((await me(partly, client)).permissions).toContain('members:manage');
    const features = (await trpcQuery(client, partly.url, 'config.features')).body.result!.data as Features;
    expect(features).toMatchObject({ enhancedAuth: true, tenantSwitching: false, roleBasedUi: false, tenantContextCaching: false, sessionManagement: true, userProfiles: true });
  });

  it('enhanced authentication off: every enhanced procedure refuses naming its switch; sign-in and auth.user remain', async () => {
    const { client } = await signInAs(basic.url, 'ada@contoso.test');
    for (const path of Object.keys(CALLS)) {
      const answer = await call(basic, client, path);
      expect(answer.status, path).toBe(412);
      expect(answer.body.error?.message, path).toMatch(/is switched off on this server \(MREG_FASTMCP_ENHANCED_AUTH_ENABLED=false\)$/);
    }
    expect((await me(basic, client)).user.email).toBe('ada@contoso.test');
    const features = (await trpcQuery(client, basic.url, 'config.features')).body.result!.data as Features;
    expect(features).toMatchObject({
      enhancedAuth: false,
      userProfiles: false,
      sessionManagement: false,
      avatarStorage: false,
      tenantSwitching: false,
      tenantContextCaching: false,
      roleBasedUi: false,
    });
  });
});
