import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** A directory tenant; its id is the Entra ID `tid`. */
export const Tenant = defineEntity({
  name: 'Tenant',
  tableName: 'tenants',
  properties: (p) => ({
    id: p.string().length(100).primary(),
    name: p.string().length(255),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});
export type ITenant = InferEntity<typeof Tenant>;
