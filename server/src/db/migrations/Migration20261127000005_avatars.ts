import { Migration } from '@mikro-orm/migrations';

/**
 * Avatars in the database: one image per user, keyed by the user (so the foreign key needs no index
 * of its own), removed with the user. The checks repeat the application's limits so that no other
 * writer can store what the app would refuse.
 */
export class Migration20261127000005_avatars extends Migration {
  override up(): void {
    this.addSql(`
      create table "user_avatars" (
        "user_id" uuid not null,
        "content_type" varchar(20) not null,
        "bytes" bytea not null,
        "sha256" varchar(64) not null,
        "size" int not null,
        "updated_at" timestamptz not null default now(),
        constraint "user_avatars_pkey" primary key ("user_id"),
        constraint "user_avatars_user_id_foreign" foreign key ("user_id")
          references "users" ("id") on update cascade on delete cascade,
        constraint "user_avatars_content_type_check" check ("content_type" in ('image/png', 'image/jpeg', 'image/webp')),
        constraint "user_avatars_size_check" check ("size" = octet_length("bytes") and "size" between 1 and 1048576),
        constraint "user_avatars_sha256_check" check ("sha256" ~ '^[0-9a-f]{64}$')
      );`);
    this.addSql(`comment on column "user_avatars"."content_type" is 'Detected from the bytes at upload, never taken from the client';`);
    this.addSql(`comment on column "user_avatars"."sha256" is 'SHA-256 (hex) of bytes: the ETag, and its prefix is part of the avatar URL';`);
  }

  override down(): void {
    // Profiles must not point at images that no longer exist.
    this.addSql(`update "user_profiles" set "avatar_url" = null where "avatar_url" like '/avatars/%';`);
    this.addSql(`drop table if exists "user_avatars" cascade;`);
  }
}
