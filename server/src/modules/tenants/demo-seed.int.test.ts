import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database';
import { DEMO_USERS } from '../../identity/demo-directory';
import { createDatabaseTarget, openTestDatabase, databaseMode, type DatabaseTarget } from '../../testing/harness';
import { seedDemoDirectory } from './demo-seed';
import { UserTenantMembership } from './memberships.entity';

describe(`demo directory (${databaseMode})`, () => {
  let target: DatabaseTarget;
  let db: Database;
  beforeAll(async () => {
    target = await createDatabaseTarget();
    db = await openTestDatabase(target);
    await db.migrate();
  });
  afterAll(async () => {
    await db?.close();
    await target?.drop();
  });

  const counts = async () =>
    (
      await db.orm.em.fork().execute(
        `select (select count(*) from tenants)::int as tenants, (select count(*) from users)::int as users,
                (select count(*) from user_tenant_memberships)::int as memberships`,
      )
    )[0];

  it('is seeded idempotently, also concurrently, and keeps changes made in the app', async () => {
    await Promise.all([seedDemoDirectory(db.orm.em.fork()), seedDemoDirectory(db.orm.em.fork())]);
    expect(await counts()).toEqual({ tenants: 2, users: 3, memberships: 4 });
    const roles = await db.orm.em.fork().find(UserTenantMembership, {}, { populate: ['user', 'tenant'] });
    expect(roles.map((m) => `${m.user.getEntity().email} ${m.role} of ${m.tenant.getEntity().name}`).sort()).toEqual([
      'ada@contoso.test admin of Contoso',
      'ada@contoso.test member of Fabrikam',
      'uma@contoso.test member of Contoso',
      'vic@fabrikam.test viewer of Fabrikam',
    ]);

    const vic = DEMO_USERS.find((u) => u.email === 'vic@fabrikam.test')!;
    await db.orm.em.fork().execute(
      `update user_tenant_memberships set role = 'member', is_active = false where user_id = (select id from users where external_id = ?)`,
      [vic.oid],
    );
    await seedDemoDirectory(db.orm.em.fork());
    expect(await counts()).toEqual({ tenants: 2, users: 3, memberships: 4 });
    const [changed] = await db.orm.em.fork().execute(
      `select role, is_active from user_tenant_memberships where user_id = (select id from users where external_id = ?)`,
      [vic.oid],
    );
    expect(changed).toEqual({ role: 'member', is_active: false });
  });
});
