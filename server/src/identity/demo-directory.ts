import type { EntityManager } from '@mikro-orm/postgresql';
import type { Role } from '@mreg/shared';
import { UserTenantMembership } from '../modules/tenants/memberships.entity';
import { Tenant } from '../modules/tenants/tenants.entity';
import { User } from '../modules/users/users.entity';

/**
 * The development provider's directory (DESIGN.md, development provider contract): two tenants and
 * three people. Ids look like Entra ID's GUIDs and never change, so sign-ins survive restarts.
 */
export const DEMO_TENANTS = [
  { id: '6a1c0e2b-4a7d-4c44-9a51-0c0a70500001', name: 'Contoso' },
  { id: '6a1c0e2b-4a7d-4c44-9a51-0fab41ca0002', name: 'Fabrikam' },
] as const;

const [CONTOSO, FABRIKAM] = DEMO_TENANTS;

export interface DemoUser {
  oid: string;
  email: string;
  name: string;
  /** Home tenant, the token's tid. */
  tid: string;
  /** App roles in the token; the home tenant role follows from them at each sign-in. */
  roles: string[];
  memberships: { tenantId: string; role: Role }[];
}

export const DEMO_USERS: readonly DemoUser[] = [
  {
    oid: '0d3e5a10-1b2c-4d5e-8f70-00000000ada0',
    email: 'ada@contoso.test',
    name: 'Ada Lovelace',
    tid: CONTOSO.id,
    roles: ['admin'],
    memberships: [
      { tenantId: CONTOSO.id, role: 'admin' },
      { tenantId: FABRIKAM.id, role: 'member' },
    ],
  },
  {
    oid: '0d3e5a10-1b2c-4d5e-8f70-00000000b0a0',
    email: 'uma@contoso.test',
    name: 'Uma Umarova',
    tid: CONTOSO.id,
    roles: [],
    memberships: [{ tenantId: CONTOSO.id, role: 'member' }],
  },
  {
    oid: '0d3e5a10-1b2c-4d5e-8f70-00000000c1c0',
    email: 'vic@fabrikam.test',
    name: 'Vic Vance',
    tid: FABRIKAM.id,
    roles: ['viewer'],
    memberships: [{ tenantId: FABRIKAM.id, role: 'viewer' }],
  },
];

export const demoTenantName = (tid: string) => DEMO_TENANTS.find((t) => t.id === tid)?.name;

/**
 * Inserts what is missing of the demo directory and leaves the rest alone, so that changes made
 * in the app (a role, a deactivated membership) survive restarts. Safe to run at every boot and
 * from several processes at once.
 */
export async function seedDemoDirectory(em: EntityManager): Promise<void> {
  await em.transactional(async (tx) => {
    await tx.createQueryBuilder(Tenant).insert(DEMO_TENANTS.map((t) => ({ id: t.id, name: t.name }))).onConflict('id').ignore();
    await tx
      .createQueryBuilder(User)
      .insert(DEMO_USERS.map((u) => ({ externalId: u.oid, homeTenant: u.tid, email: u.email, name: u.name, roles: u.roles })))
      .onConflict('externalId')
      .ignore();
    const users = await tx.find(User, { externalId: { $in: DEMO_USERS.map((u) => u.oid) } });
    const idOf = new Map(users.map((u) => [u.externalId, u.id]));
    await tx
      .createQueryBuilder(UserTenantMembership)
      .insert(
        DEMO_USERS.flatMap((u) =>
          u.memberships.map((m) => ({ user: idOf.get(u.oid)!, tenant: m.tenantId, role: m.role, permissions: [], isActive: true })),
        ),
      )
      .onConflict(['user', 'tenant'])
      .ignore();
  });
}
