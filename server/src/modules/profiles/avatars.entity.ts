import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { User } from '../users/users.entity';

/**
 * A person's avatar image, kept in the database (DESIGN.md: no state lives only in one instance's
 * disk). One per user: the user id is the primary key. `bytes` is lazy so that a look-up of the
 * hash (ETag, URL check) does not drag up to 1 MiB out of the database.
 */
export const UserAvatar = defineEntity({
  name: 'UserAvatar',
  tableName: 'user_avatars',
  properties: (p) => ({
    user: p.oneToOne(User).ref().owner().primary().deleteRule('cascade'),
    /** Read from the bytes at upload (image/png, image/jpeg or image/webp), never from the client. */
    contentType: p.string().length(20),
    bytes: p.blob().lazy(true, false),
    /** SHA-256 of `bytes`, hex: the ETag, and (a prefix of it) part of the URL. */
    sha256: p.string().length(64),
    size: p.integer(),
    updatedAt: p.datetime().defaultRaw('now()').onCreate(() => new Date()).onUpdate(() => new Date()),
  }),
});
export type IUserAvatar = InferEntity<typeof UserAvatar>;
