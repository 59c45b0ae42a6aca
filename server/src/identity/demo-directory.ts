import { createHash } from 'node:crypto';
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
  /** A guest's home tenant's name, when it is not a demo tenant. */
  tenantName?: string;
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

/** A UUID made from `text` (its SHA-256, version and variant bits set): the same text, the same id. */
function uuidFrom(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A word with its first letter in capitals: "northwind" -> "Northwind". */
const capitalised = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** Email addresses the development provider takes for a new person: plain ones, with a domain. */
const GUEST_EMAIL = /^[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+$/;

/**
 * Someone the demo directory does not know, signing in with `email` (issue 22: so that invitations
 * can be tried): a new person whose home tenant is the one of their email's domain (a demo tenant
 * for contoso.test and fabrikam.test, else a new one named after the domain, as a guest from another
 * company would have), with no app roles. The same email gives the same ids at every sign-in.
 * Undefined when `email` is not a plain address.
 */
export function guestUser(email: string): DemoUser | undefined {
  if (!GUEST_EMAIL.test(email) || email.length > 254) return undefined;
  const [local, domain] = email.split('@') as [string, string];
  const known = DEMO_USERS.find((u) => u.email.endsWith(`@${domain}`));
  const tid = known?.tid ?? uuidFrom(`mreg-dev-idp:tenant:${domain}`);
  return {
    oid: uuidFrom(`mreg-dev-idp:user:${email}`),
    email,
    name: capitalised(local.split(/[._+-]/)[0] || local),
    tid,
    roles: [],
    memberships: [],
    tenantName: demoTenantName(tid) ?? capitalised(domain.split('.')[0]!),
  };
}
