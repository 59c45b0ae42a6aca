import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { Tenant } from '../tenants/tenants.entity';
import { User } from '../users/users.entity';

/** A person's API key for one tenant (migration 7): only the SHA-256 of its secret is kept. */
export const ApiKeyEntity = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()').onCreate(() => crypto.randomUUID()),
    user: p.manyToOne(User).ref().deleteRule('cascade'),
    tenant: p.manyToOne(Tenant).ref().deleteRule('cascade').index(),
    name: p.string().length(64),
    tokenHash: p.string().length(64).unique(),
    /** `mreg_pat_` and the secret's first characters, to recognise the key by. */
    hint: p.string().length(20),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    expiresAt: p.datetime().nullable(),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  }),
  indexes: [{ properties: ['user', 'tenant'] }],
});
export type IApiKey = InferEntity<typeof ApiKeyEntity>;
