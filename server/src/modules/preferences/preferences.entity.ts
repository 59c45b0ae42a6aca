import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { User } from '../users/users.entity';

export const UserPreference = defineEntity({
  name: 'UserPreference',
  tableName: 'user_preferences',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()').onCreate(() => crypto.randomUUID()),
    user: p.manyToOne(User).ref().deleteRule('cascade').index(),
    category: p.string().length(100).index(),
    key: p.string().length(100).index(),
    value: p.json<unknown>(),
    createdAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
  uniques: [{ properties: ['user', 'category', 'key'] }],
});
export type IUserPreference = InferEntity<typeof UserPreference>;
