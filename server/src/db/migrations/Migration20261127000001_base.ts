import { Migration } from '@mikro-orm/migrations';

/** Base tables: tenants (id = Entra ID tid) and users (external_id = Entra ID oid). */
export class Migration20261127000001_base extends Migration {
  override up(): void {
    this.addSql(`
      create table "tenants" (
        "id" varchar(100) not null,
        "name" varchar(255) not null,
        "created_at" timestamptz not null default now(),
        "updated_at" timestamptz not null default now(),
        constraint "tenants_pkey" primary key ("id")
      );`);
    this.addSql(`
      create table "users" (
        "id" uuid not null default gen_random_uuid(),
        "external_id" varchar(100) not null,
        "home_tenant_id" varchar(100) null,
        "email" varchar(320) not null,
        "name" varchar(255) not null,
        "roles" jsonb not null default '[]'::jsonb,
        "last_login_at" timestamptz null,
        "created_at" timestamptz not null default now(),
        "updated_at" timestamptz not null default now(),
        constraint "users_pkey" primary key ("id"),
        constraint "users_external_id_unique" unique ("external_id"),
        constraint "users_home_tenant_id_foreign" foreign key ("home_tenant_id")
          references "tenants" ("id") on update cascade on delete set null
      );`);
    this.addSql(`create index "users_home_tenant_id_index" on "users" ("home_tenant_id");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "users" cascade;`);
    this.addSql(`drop table if exists "tenants" cascade;`);
  }
}
