import { Migration } from '@mikro-orm/migrations';

/**
 * The enhanced-authentication tables of the plan, with its columns, unique keys and indexes, an
 * index on every foreign-key column, and ON DELETE CASCADE from users.
 */
export class Migration20261127000002_enhanced_auth extends Migration {
  override up(): void {
    this.addSql(`
      create table "user_profiles" (
        "id" uuid not null default gen_random_uuid(),
        "user_id" uuid not null,
        "display_name" varchar(255) null,
        "avatar_url" varchar(500) null,
        "bio" varchar(1000) null,
        "preferences" jsonb not null default '{}'::jsonb,
        "metadata" jsonb not null default '{}'::jsonb,
        "created_at" timestamptz not null default now(),
        "updated_at" timestamptz not null default now(),
        constraint "user_profiles_pkey" primary key ("id"),
        constraint "user_profiles_user_id_unique" unique ("user_id"),
        constraint "user_profiles_user_id_foreign" foreign key ("user_id")
          references "users" ("id") on update cascade on delete cascade
      );`);

    this.addSql(`
      create table "enhanced_sessions" (
        "id" uuid not null default gen_random_uuid(),
        "user_id" uuid not null,
        "session_token" varchar(255) not null,
        "oauth_token_hash" varchar(255) not null,
        "user_agent" varchar(500) null,
        "ip_address" varchar(45) null,
        "tenant_context" jsonb not null default '{}'::jsonb,
        "last_activity" timestamptz not null default now(),
        "expires_at" timestamptz not null,
        "created_at" timestamptz not null default now(),
        constraint "enhanced_sessions_pkey" primary key ("id"),
        constraint "enhanced_sessions_session_token_unique" unique ("session_token"),
        constraint "enhanced_sessions_user_id_foreign" foreign key ("user_id")
          references "users" ("id") on update cascade on delete cascade
      );`);
    this.addSql(`comment on column "enhanced_sessions"."session_token" is 'SHA-256 (hex) of the session token; the token itself is never stored';`);
    this.addSql(`comment on column "enhanced_sessions"."oauth_token_hash" is 'SHA-256 (hex) of the upstream access token';`);
    this.addSql(`create index "enhanced_sessions_user_id_index" on "enhanced_sessions" ("user_id");`);
    this.addSql(`create index "enhanced_sessions_expires_at_index" on "enhanced_sessions" ("expires_at");`);
    this.addSql(`create index "enhanced_sessions_last_activity_index" on "enhanced_sessions" ("last_activity");`);

    this.addSql(`
      create table "user_preferences" (
        "id" uuid not null default gen_random_uuid(),
        "user_id" uuid not null,
        "category" varchar(100) not null,
        "key" varchar(100) not null,
        "value" jsonb not null,
        "created_at" timestamptz not null default now(),
        "updated_at" timestamptz not null default now(),
        constraint "user_preferences_pkey" primary key ("id"),
        constraint "user_preferences_user_id_category_key_unique" unique ("user_id", "category", "key"),
        constraint "user_preferences_user_id_foreign" foreign key ("user_id")
          references "users" ("id") on update cascade on delete cascade
      );`);
    this.addSql(`create index "user_preferences_user_id_index" on "user_preferences" ("user_id");`);
    this.addSql(`create index "user_preferences_category_index" on "user_preferences" ("category");`);
    this.addSql(`create index "user_preferences_key_index" on "user_preferences" ("key");`);

    this.addSql(`
      create table "user_tenant_memberships" (
        "id" uuid not null default gen_random_uuid(),
        "user_id" uuid not null,
        "tenant_id" varchar(100) not null,
        "role" varchar(50) not null default 'member',
        "permissions" jsonb not null default '[]'::jsonb,
        "is_active" boolean not null default true,
        "joined_at" timestamptz not null default now(),
        "last_active" timestamptz null,
        constraint "user_tenant_memberships_pkey" primary key ("id"),
        constraint "user_tenant_memberships_user_id_tenant_id_unique" unique ("user_id", "tenant_id"),
        constraint "user_tenant_memberships_role_check" check ("role" in ('admin', 'member', 'viewer')),
        constraint "user_tenant_memberships_user_id_foreign" foreign key ("user_id")
          references "users" ("id") on update cascade on delete cascade,
        constraint "user_tenant_memberships_tenant_id_foreign" foreign key ("tenant_id")
          references "tenants" ("id") on update cascade on delete cascade
      );`);
    this.addSql(`create index "user_tenant_memberships_user_id_index" on "user_tenant_memberships" ("user_id");`);
    this.addSql(`create index "user_tenant_memberships_tenant_id_index" on "user_tenant_memberships" ("tenant_id");`);
    this.addSql(`create index "user_tenant_memberships_is_active_index" on "user_tenant_memberships" ("is_active");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "user_tenant_memberships" cascade;`);
    this.addSql(`drop table if exists "user_preferences" cascade;`);
    this.addSql(`drop table if exists "enhanced_sessions" cascade;`);
    this.addSql(`drop table if exists "user_profiles" cascade;`);
  }
}
