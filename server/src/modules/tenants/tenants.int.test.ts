import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Membership, TenantContext, TenantMember } from '@mreg/shared';
import { DEMO_TENANTS } from '../../identity/demo-directory';
import { databaseMode, testRedisUrl } from '../../testing/harness';
import { signInAs } from '../../testing/sign-in';
import { app, CONTOSO, data, em, FABRIKAM, holding, ids, me, mutate, newCookie, query, sessionIn, setMembership, snapshot, useTenantsApp, YAN, ZOE } from './tenants.testing';

/**
 * Tenants and roles through the real app over HTTP: my memberships and the tenant switch, random and
 * hostile input to the tenant procedures, and the isolation matrix (every tenant-scoped procedure as
 * every kind of member, in both tenants). Tenant administration is in tenants.members.int.test.ts.
 */

useTenantsApp();

describe(`my tenants (${databaseMode}, ${testRedisUrl ? 'Redis' : 'in-process cache'})`, () => {
  it('lists my active memberships, and switching moves the active tenant under a new token', async () => {
    const { client, token } = await signInAs(app.url, 'ada@contoso.test');
    const tenants = data<Membership[]>(await query(client, 'auth.tenants'));
    expect(tenants.map(({ tenantName, role, isActiveTenant }) => ({ tenantName, role, isActiveTenant }))).toEqual([
      { tenantName: 'Contoso', role: 'admin', isActiveTenant: true },
      { tenantName: 'Fabrikam', role: 'member', isActiveTenant: false },
    ]);

    const before = Date.now();
    const switched = await mutate(client, 'auth.switchTenant', { tenantId: FABRIKAM.id });
    expect(data<TenantContext>(switched)).toEqual({
      tenantId: FABRIKAM.id,
      tenantName: 'Fabrikam',
      role: 'member',
      isAdmin: false,
      permissions: ['registry:read', 'registry:write', 'tools:call', 'members:read'],
    });
    const rotated = newCookie(switched);
    expect(rotated).toBeDefined();
    expect(rotated).not.toBe(token);

    // The old token is dead at once; the browser's new one has the new tenant, same session.
    expect((await query(holding(token), 'auth.user')).status).toBe(401);
    const now = await me(client);
    expect(now.tenantContext?.tenantName).toBe('Fabrikam');
    expect(now.permissions).not.toContain('members:manage');
    const [row] = await em().execute<{ tenant: string }[]>(`select tenant_context ->> 'tenantId' as tenant from enhanced_sessions where id = ?`, [
      now.sessionInfo.sessionId,
    ]);
    expect(row!.tenant).toBe(FABRIKAM.id);
    const [membership] = await em().execute<{ last_active: string }[]>(
      `select last_active from user_tenant_memberships where user_id = ? and tenant_id = ?`,
      [now.user.id, FABRIKAM.id],
    );
    expect(new Date(membership!.last_active).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(data<Membership[]>(await query(client, 'auth.tenants')).find((t) => t.isActiveTenant)?.tenantName).toBe('Fabrikam');
    // As a member of Fabrikam, ada cannot administer it.
    expect((await query(client, 'tenants.members')).status).toBe(403);
  });

  it('refuses a switch to a tenant without an active membership: FORBIDDEN, and nothing changes', async () => {
    const { client, token } = await signInAs(app.url, 'uma@contoso.test');
    const before = await snapshot();
    for (const tenantId of [FABRIKAM.id, 'no-such-tenant']) {
      const refused = await mutate(client, 'auth.switchTenant', { tenantId });
      expect(refused.status).toBe(403);
      expect(refused.body.error?.message).toBe(`You have no active membership of the tenant ${tenantId}`);
      expect(newCookie(refused)).toBeUndefined();
    }
    expect(await snapshot()).toEqual(before);
    expect((await me(holding(token))).tenantContext?.tenantName).toBe('Contoso');

    const bad = await mutate(client, 'auth.switchTenant', { tenantId: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toBe('tenantId: must not be empty');
  });

  it('parallel switches of one session: one applies, the others change nothing, and the session stays consistent', async () => {
    const { token } = await sessionIn('ada@contoso.test', CONTOSO.id);
    const targets = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? FABRIKAM : CONTOSO));
    const answers = await Promise.all(targets.map((tenant) => mutate(holding(token), 'auth.switchTenant', { tenantId: tenant.id })));
    const won = answers.flatMap((answer, i) => (answer.status === 200 ? [{ answer, tenant: targets[i]! }] : []));
    expect(won).toHaveLength(1);
    for (const answer of answers.filter((a) => a.status !== 200)) {
      expect(answer.status).toBe(409);
      expect(newCookie(answer)).toBeUndefined();
    }
    const winner = won[0]!;
    const winnerToken = newCookie(winner.answer)!;
    expect((await query(holding(token), 'auth.user')).status).toBe(401);
    const after = await me(holding(winnerToken));
    expect(after.tenantContext?.tenantId).toBe(winner.tenant.id);
    const rows = await em().execute<{ tenant: string }[]>(
      `select tenant_context ->> 'tenantId' as tenant from enhanced_sessions where id = ? and revoked_at is null`,
      [after.sessionInfo.sessionId],
    );
    expect(rows).toEqual([{ tenant: winner.tenant.id }]);
  });
});

describe('random and hostile input over HTTP', () => {
  it('is answered with a 4xx or success, never a 500', async () => {
    const { client: ada } = await sessionIn('ada@contoso.test', CONTOSO.id);
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.uuid(),
      fc.constantFrom('admin', 'viewer', 'audit:read', '\u0000', 'a\u0000b', '\ud800', CONTOSO.id),
    );
    const input = fc.oneof(value, fc.record({ userId: value, role: value, permissions: value, isActive: value, email: value, tenantId: value }, { requiredKeys: [] }));
    const paths = ['auth.switchTenant', 'tenants.addMember', 'tenants.updateMember', 'tenants.removeMember', 'tenants.revokeMemberSessions'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), input, async (path, sent) => {
        const answer = await mutate(ada, path, sent);
        expect([200, 400, 403, 404, 409], `${path} ${JSON.stringify(sent)}: ${JSON.stringify(answer.body)}`).toContain(answer.status);
      }),
      { numRuns: 60 },
    );
    // Nothing random reached a real member: Contoso still has its admin.
    expect(data<TenantMember[]>(await query(ada, 'tenants.members')).find((m) => m.email === 'ada@contoso.test')?.role).toBe('admin');
  });
});

const OTHER = { [CONTOSO.id]: FABRIKAM, [FABRIKAM.id]: CONTOSO };

/** Every tenant-scoped procedure, as called in the matrix, and what it needs to have something to act on. */
const PROCEDURES = [
  { name: 'tenants.members', kind: 'query', input: () => undefined },
  { name: 'tenants.directory', kind: 'query', input: () => undefined },
  { name: 'tenants.addMember', kind: 'mutation', input: () => ({ email: YAN.email, role: 'viewer' }) },
  { name: 'tenants.updateMember', kind: 'mutation', input: () => ({ userId: ids[ZOE.email], role: 'viewer' }) },
  { name: 'tenants.removeMember', kind: 'mutation', input: () => ({ userId: ids[ZOE.email] }) },
  { name: 'tenants.memberSessions', kind: 'query', input: () => ({ userId: ids[ZOE.email] }) },
  { name: 'tenants.revokeMemberSessions', kind: 'mutation', input: () => ({ userId: ids[ZOE.email] }) },
  { name: 'auth.switchTenant', kind: 'mutation', input: (tenantId: string) => ({ tenantId }) },
] as const;
const STATES = ['admin', 'member', 'viewer', 'non-member', 'deactivated'] as const;
/** Who may call what: only admins administer; anyone with an active membership may see who is in it, and switch to it. */
const ALLOWED: Record<(typeof STATES)[number], (procedure: string) => boolean> = {
  admin: () => true,
  member: (procedure) => procedure === 'auth.switchTenant' || procedure === 'tenants.directory',
  viewer: (procedure) => procedure === 'auth.switchTenant' || procedure === 'tenants.directory',
  'non-member': () => false,
  deactivated: () => false,
};

describe('the isolation matrix', () => {
  const table: Record<string, string>[] = [];
  afterAll(() => {
    console.log(`isolation matrix (${databaseMode}):\n${table.map((row) => Object.values(row).join(' | ')).join('\n')}`);
  });

  for (const tenant of DEMO_TENANTS) {
    for (const state of STATES) {
      it(`${tenant.name}, as ${state}: administration ${state === 'admin' ? 'allowed' : 'FORBIDDEN'}, directory and switching ${ALLOWED[state]('auth.switchTenant') ? 'allowed' : 'FORBIDDEN'}`, async () => {
        const row: Record<string, string> = { tenant: tenant.name, actor: `uma as ${state}` };
        if (table.length === 0) table.push({ tenant: 'tenant', actor: 'actor', ...Object.fromEntries(PROCEDURES.map((p) => [p.name, p.name])) });
        for (const procedure of PROCEDURES) {
          // The same starting point for every call: ada admin, Zoe member with a session there, Yan
          // a deactivated member (whom an admin may add back), uma as the row says.
          await setMembership('ada@contoso.test', tenant.id, 'admin');
          await setMembership(ZOE.email, tenant.id, 'member');
          await setMembership(YAN.email, tenant.id, 'deactivated');
          await setMembership('uma@contoso.test', tenant.id, state === 'non-member' ? 'none' : state);
          await sessionIn(ZOE.email, tenant.id);
          // To switch, uma starts in the other tenant; everything else acts on the active tenant.
          const switching = procedure.name === 'auth.switchTenant';
          const { client } = await sessionIn('uma@contoso.test', switching ? OTHER[tenant.id]!.id : tenant.id);
          const input = procedure.input(tenant.id);

          const before = await snapshot();
          const answer = procedure.kind === 'query' ? await query(client, procedure.name, input) : await mutate(client, procedure.name, input);
          const allowed = ALLOWED[state](procedure.name);
          row[procedure.name] = answer.status === 200 ? 'allowed' : answer.status === 403 ? 'FORBIDDEN' : String(answer.status);
          if (allowed) {
            expect(answer.status, `${procedure.name}: ${JSON.stringify(answer.body.error)}`).toBe(200);
          } else {
            expect(answer.status, procedure.name).toBe(403);
            expect(answer.body.error?.data.code).toBe('FORBIDDEN');
            expect(await snapshot(), `${procedure.name} changed something`).toEqual(before);
          }
        }
        table.push(row);
      });
    }
  }
});
