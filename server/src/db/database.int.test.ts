import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ForeignKeyConstraintViolationException,
  UniqueConstraintViolationException,
  type EntityManager,
} from '@mikro-orm/postgresql';
import { createDatabaseTarget, databaseMode, openTestDatabase, type DatabaseTarget } from '../testing/harness';
import type { Database } from './database';
import { Tenant } from '../modules/tenants/tenants.entity';
import { UserTenantMembership } from '../modules/tenants/memberships.entity';
import { User, UserProfile } from '../modules/users/users.entity';
import { EnhancedSession } from '../modules/sessions/sessions.entity';
import { UserPreference } from '../modules/preferences/preferences.entity';

const TABLES = [
  'api_keys',
  'audit_events',
  'enhanced_sessions',
  'mcp_server_catalogues',
  'mcp_server_health',
  'mcp_servers',
  'oauth_clients',
  'oauth_codes',
  'oauth_grants',
  'oauth_requests',
  'oauth_tokens',
  'scheduled_runs',
  'sign_in_requests',
  'tenant_invitations',
  'tenants',
  'user_avatars',
  'user_preferences',
  'user_profiles',
  'user_tenant_memberships',
  'users',
];
const REGISTRY_TABLES = ['mcp_server_catalogues', 'mcp_server_health', 'mcp_servers'];
const OAUTH_TABLES = ['oauth_clients', 'oauth_codes', 'oauth_grants', 'oauth_requests', 'oauth_tokens'];
const BEFORE_SCHEDULED_RUNS = TABLES.filter((t) => t !== 'scheduled_runs');
const BEFORE_AUDIT = BEFORE_SCHEDULED_RUNS.filter((t) => t !== 'audit_events');
const BEFORE_INVITATIONS = BEFORE_AUDIT.filter((t) => t !== 'tenant_invitations');
const BEFORE_OAUTH = BEFORE_INVITATIONS.filter((t) => !OAUTH_TABLES.includes(t));

async function columns(em: EntityManager, table: string): Promise<string[]> {
  const rows = await em.execute<{ column_name: string }[]>(
    `select column_name from information_schema.columns where table_schema = 'public' and table_name = ? order by 1`,
    [table],
  );
  return rows.map((row) => row.column_name);
}

let target: DatabaseTarget;
let db: Database;

const open = () => openTestDatabase(target);

async function tables(em: EntityManager): Promise<string[]> {
  const rows = await em.execute<{ table_name: string }[]>(
    `select table_name from information_schema.tables where table_schema = 'public' and table_name <> 'mikro_orm_migrations' order by 1`,
  );
  return rows.map((r) => r.table_name);
}

async function seedUser(em: EntityManager, suffix = '1') {
  const tenant = em.create(Tenant, { id: `tid-${suffix}`, name: `Tenant ${suffix}` });
  const user = em.create(User, { externalId: `oid-${suffix}`, email: `u${suffix}@contoso.test`, name: `User ${suffix}`, homeTenant: tenant });
  em.create(UserProfile, { user, displayName: 'Ada' });
  em.create(EnhancedSession, { user, sessionTokenHash: `hash-${suffix}`, oauthTokenHash: 'x', expiresAt: new Date(Date.now() + 3_600_000) });
  em.create(UserPreference, { user, category: 'ui', key: 'theme', value: 'dark' });
  em.create(UserTenantMembership, { user, tenant, role: 'admin' });
  await em.flush();
  return { tenant, user };
}

beforeEach(async () => {
  target = await createDatabaseTarget();
  db = await open();
});

afterEach(async () => {
  await db.close();
  await target.drop();
});

describe(`database (${databaseMode})`, () => {
  it('migrates up, down and up again', async () => {
    const em = db.orm.em.fork();
    expect(await db.migrate()).toEqual([
      'Migration20261127000001_base',
      'Migration20261127000002_enhanced_auth',
      'Migration20261127000003_sign_in',
      'Migration20261127000004_tenants',
      'Migration20261127000005_avatars',
      'Migration20261204000006_registry',
      'Migration20261205000007_api_keys',
      'Migration20261206000008_oauth',
      'Migration20261206000009_invitations',
      'Migration20261206000010_audit',
      'Migration20261207000011_scheduled_runs',
    ]);
    expect(await tables(em)).toEqual(TABLES);
    expect(await columns(em, 'enhanced_sessions')).toContain('rotation_due_at');
    expect(await db.migrate()).toEqual([]);

    expect(await db.rollback()).toEqual(['Migration20261207000011_scheduled_runs']);
    expect(await tables(em)).toEqual(BEFORE_SCHEDULED_RUNS);
    expect(await db.rollback()).toEqual(['Migration20261206000010_audit']);
    expect(await tables(em)).toEqual(BEFORE_AUDIT);
    // The append-only trigger's function goes with the table.
    expect(await em.execute(`select 1 from pg_proc where proname = 'audit_events_append_only'`)).toEqual([]);
    expect(await db.rollback()).toEqual(['Migration20261206000009_invitations']);
    expect(await tables(em)).toEqual(BEFORE_INVITATIONS);
    expect(await db.rollback()).toEqual(['Migration20261206000008_oauth']);
    expect(await tables(em)).toEqual(BEFORE_OAUTH);
    expect(await db.rollback()).toEqual(['Migration20261205000007_api_keys']);
    expect(await tables(em)).toEqual(BEFORE_OAUTH.filter((t) => t !== 'api_keys'));
    expect(await db.rollback()).toEqual(['Migration20261204000006_registry']);
    expect(await tables(em)).toEqual(BEFORE_OAUTH.filter((t) => t !== 'api_keys' && !REGISTRY_TABLES.includes(t)));
    expect(await db.rollback()).toEqual(['Migration20261127000005_avatars']);
    expect(await tables(em)).toEqual(BEFORE_OAUTH.filter((t) => t !== 'api_keys' && t !== 'user_avatars' && !REGISTRY_TABLES.includes(t)));
    await db.rollback();
    expect(await columns(em, 'enhanced_sessions')).not.toContain('rotation_due_at');
    await db.rollback();
    expect(await tables(em)).toEqual(BEFORE_OAUTH.filter((t) => t !== 'api_keys' && t !== 'sign_in_requests' && t !== 'user_avatars' && !REGISTRY_TABLES.includes(t)));
    await db.rollback();
    expect(await tables(em)).toEqual(['tenants', 'users']);
    await db.rollback();
    expect(await tables(em)).toEqual([]);
    expect(await db.orm.getMigrator().getExecutedMigrations()).toEqual([]);

    expect(await db.migrate()).toHaveLength(11);
    expect(await tables(em)).toEqual(TABLES);
    await seedUser(em);
  });

  it('indexes every foreign-key column', async () => {
    await db.migrate();
    const rows = await db.orm.em.fork().execute<{ table_name: string; column_name: string; indexed: boolean }[]>(`
      select c.conrelid::regclass::text as table_name, a.attname as column_name,
             exists (select 1 from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1]) as indexed
        from pg_constraint c
        join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
       where c.contype = 'f' and c.connamespace = 'public'::regnamespace
       order by 1, 2`);
    expect(rows.map((r) => `${r.table_name}.${r.column_name}`)).toEqual([
      'api_keys.tenant_id',
      'api_keys.user_id',
      'enhanced_sessions.user_id',
      'mcp_server_catalogues.server_id',
      'mcp_server_health.server_id',
      'mcp_servers.created_by_id',
      'mcp_servers.tenant_id',
      'mcp_servers.updated_by_id',
      'oauth_codes.grant_id',
      'oauth_grants.client_id',
      'oauth_grants.tenant_id',
      'oauth_grants.user_id',
      'oauth_requests.client_id',
      'oauth_tokens.grant_id',
      'tenant_invitations.accepted_by_id',
      'tenant_invitations.invited_by_id',
      'tenant_invitations.tenant_id',
      'user_avatars.user_id',
      'user_preferences.user_id',
      'user_profiles.user_id',
      'user_tenant_memberships.tenant_id',
      'user_tenant_memberships.user_id',
      'users.home_tenant_id',
    ]);
    expect(rows.filter((r) => !r.indexed)).toEqual([]);
  });

  it('enforces the unique keys', async () => {
    await db.migrate();
    const { tenant, user } = await seedUser(db.orm.em.fork());
    const attempts: [string, (em: EntityManager) => void][] = [
      ['users.external_id', (em) => em.create(User, { externalId: 'oid-1', email: 'x@y.test', name: 'X' })],
      ['user_profiles.user_id', (em) => em.create(UserProfile, { user: user.id })],
      ['enhanced_sessions.session_token', (em) => em.create(EnhancedSession, { user: user.id, sessionTokenHash: 'hash-1', oauthTokenHash: 'y', expiresAt: new Date() })],
      ['user_preferences (user, category, key)', (em) => em.create(UserPreference, { user: user.id, category: 'ui', key: 'theme', value: 'light' })],
      ['user_tenant_memberships (user, tenant)', (em) => em.create(UserTenantMembership, { user: user.id, tenant: tenant.id, role: 'member' })],
    ];
    for (const [what, create] of attempts) {
      const em = db.orm.em.fork();
      create(em);
      await expect(em.flush(), what).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    }
    // A different key in the same category is a new row.
    const em = db.orm.em.fork();
    em.create(UserPreference, { user: user.id, category: 'ui', key: 'language', value: 'en' });
    await em.flush();
    expect(await db.orm.em.fork().count(UserPreference, { user: user.id })).toBe(2);
  });

  it('cascades a user delete to profile, sessions, preferences and memberships', async () => {
    await db.migrate();
    const em = db.orm.em.fork();
    const { user } = await seedUser(em, '1');
    await seedUser(em, '2');
    await em.fork().nativeDelete(User, { id: user.id });
    const check = db.orm.em.fork();
    for (const table of ['user_profiles', 'enhanced_sessions', 'user_preferences', 'user_tenant_memberships']) {
      const [row] = await check.execute<{ mine: string; all: string }[]>(
        `select count(*) filter (where user_id = ?) as mine, count(*) as all from ${table}`,
        [user.id],
      );
      expect(row, table).toEqual({ mine: '0', all: '1' });
    }
    // A deleted tenant takes its memberships; its users keep their accounts.
    await check.nativeDelete(Tenant, { id: 'tid-2' });
    expect(await check.count(UserTenantMembership)).toBe(0);
    expect(await check.findOneOrFail(User, { externalId: 'oid-2' })).toMatchObject({ homeTenant: null });
  });

  it('refuses rows that point nowhere and roles outside the catalogue', async () => {
    await db.migrate();
    const em = db.orm.em.fork();
    await expect(
      em.execute(`insert into user_profiles (user_id) values ('00000000-0000-0000-0000-000000000000')`),
    ).rejects.toBeInstanceOf(ForeignKeyConstraintViolationException);
    const { tenant, user } = await seedUser(em);
    await expect(
      em.execute(`update user_tenant_memberships set role = 'owner' where user_id = ? and tenant_id = ?`, [user.id, tenant.id]),
    ).rejects.toThrow(/user_tenant_memberships_role_check/);
  });

  it('keeps what was written across a restart', async () => {
    await db.migrate();
    await seedUser(db.orm.em.fork());
    await db.close();
    db = await open();
    expect(await db.migrate()).toEqual([]);
    const user = await db.orm.em.fork().findOneOrFail(User, { externalId: 'oid-1' }, { populate: ['homeTenant'] });
    expect(user.homeTenant?.getEntity().name).toBe('Tenant 1');
    expect(await db.orm.em.fork().count(UserPreference)).toBe(1);
  });
});
