import type { Role } from '@mreg/shared';

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
