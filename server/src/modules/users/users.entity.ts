import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { Tenant } from '../tenants/tenants.entity';

/** A person who has signed in; `externalId` is the Entra ID `oid`. */
export const User = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()').onCreate(() => crypto.randomUUID()),
    externalId: p.string().length(100).unique(),
    homeTenant: p.manyToOne(Tenant).ref().deleteRule('set null').nullable().index(),
    email: p.string().length(320),
    name: p.string().length(255),
    roles: p.json<string[]>().onCreate(() => []),
    lastLoginAt: p.datetime().nullable(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});
export type IUser = InferEntity<typeof User>;

export const UserProfile = defineEntity({
  name: 'UserProfile',
  tableName: 'user_profiles',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()').onCreate(() => crypto.randomUUID()),
    user: p.oneToOne(User).ref().owner().deleteRule('cascade').unique(),
    displayName: p.string().length(255).nullable(),
    avatarUrl: p.string().length(500).nullable(),
    bio: p.string().length(1000).nullable(),
    preferences: p.json<Record<string, unknown>>().onCreate(() => ({})),
    metadata: p.json<Record<string, unknown>>().onCreate(() => ({})),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});
export type IUserProfile = InferEntity<typeof UserProfile>;
