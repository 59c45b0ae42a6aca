import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { ROLES } from '@mreg/shared';
import { User } from '../users/users.entity';
import { Tenant } from './tenants.entity';

export const UserTenantMembership = defineEntity({
  name: 'UserTenantMembership',
  tableName: 'user_tenant_memberships',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()').onCreate(() => crypto.randomUUID()),
    user: p.manyToOne(User).ref().deleteRule('cascade').index(),
    tenant: p.manyToOne(Tenant).ref().deleteRule('cascade').index(),
    role: p.enum([...ROLES]).default('member'),
    permissions: p.json<string[]>().onCreate(() => []),
    isActive: p.boolean().default(true).index(),
    /** `directory`: the role follows the token's app roles at each sign-in; `tenant`: a tenant admin set it. */
    roleManagedBy: p.enum(['directory', 'tenant']).default('directory'),
    joinedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    lastActive: p.datetime().nullable(),
  }),
  uniques: [{ properties: ['user', 'tenant'] }],
});
export type IUserTenantMembership = InferEntity<typeof UserTenantMembership>;
