import { Migration } from '@mikro-orm/migrations';

/**
 * OAuth for MCP clients (issue 20): registered clients, consent requests waiting for the person,
 * grants (one client acting for one person in one tenant at one MCP resource), authorization codes
 * and tokens. Of codes, request ids and tokens only the SHA-256 is kept. Used codes and refresh
 * tokens stay, marked, until they expire: presented again, they revoke their grant.
 */
export class Migration20261206000008_oauth extends Migration {
  override up(): void {
    this.addSql(`
      create table "oauth_clients" (
        "id" varchar(64) not null,
        "name" varchar(200) null,
        "redirect_uris" jsonb not null,
        "metadata" jsonb not null,
        "created_at" timestamptz not null default now(),
        "approved_at" timestamptz null,
        constraint "oauth_clients_pkey" primary key ("id")
      );`);
    this.addSql(`create index "oauth_clients_created_at_index" on "oauth_clients" ("created_at");`);
    this.addSql(`
      create table "oauth_requests" (
        "id_hash" char(64) not null,
        "client_id" varchar(64) not null,
        "redirect_uri" text not null,
        "state" text null,
        "code_challenge" varchar(128) not null,
        "resource" text not null,
        "scopes" jsonb not null,
        "created_at" timestamptz not null default now(),
        "expires_at" timestamptz not null,
        constraint "oauth_requests_pkey" primary key ("id_hash"),
        constraint "oauth_requests_client_id_foreign" foreign key ("client_id")
          references "oauth_clients" ("id") on update cascade on delete cascade
      );`);
    this.addSql(`create index "oauth_requests_expires_at_index" on "oauth_requests" ("expires_at");`);
    this.addSql(`create index "oauth_requests_client_id_index" on "oauth_requests" ("client_id");`);
    this.addSql(`
      create table "oauth_grants" (
        "id" uuid not null default gen_random_uuid(),
        "client_id" varchar(64) not null,
        "user_id" uuid not null,
        "tenant_id" varchar(100) not null,
        "resource" text not null,
        "scope" text not null,
        "approved_at" timestamptz not null default now(),
        "last_used_at" timestamptz null,
        "revoked_at" timestamptz null,
        "revoked_reason" varchar(40) null,
        constraint "oauth_grants_pkey" primary key ("id"),
        constraint "oauth_grants_client_id_foreign" foreign key ("client_id")
          references "oauth_clients" ("id") on update cascade on delete cascade,
        constraint "oauth_grants_user_id_foreign" foreign key ("user_id")
          references "users" ("id") on update cascade on delete cascade,
        constraint "oauth_grants_tenant_id_foreign" foreign key ("tenant_id")
          references "tenants" ("id") on update cascade on delete cascade
      );`);
    this.addSql(`create index "oauth_grants_user_id_tenant_id_index" on "oauth_grants" ("user_id", "tenant_id");`);
    this.addSql(`create index "oauth_grants_client_id_index" on "oauth_grants" ("client_id");`);
    this.addSql(
      `create unique index "oauth_grants_live_unique" on "oauth_grants" ("client_id", "user_id", "tenant_id", "resource") where "revoked_at" is null;`,
    );
    this.addSql(`create index "oauth_grants_tenant_id_index" on "oauth_grants" ("tenant_id");`);
    this.addSql(`
      create table "oauth_codes" (
        "code_hash" char(64) not null,
        "grant_id" uuid not null,
        "client_id" varchar(64) not null,
        "redirect_uri" text not null,
        "code_challenge" varchar(128) not null,
        "resource" text not null,
        "created_at" timestamptz not null default now(),
        "expires_at" timestamptz not null,
        "used_at" timestamptz null,
        constraint "oauth_codes_pkey" primary key ("code_hash"),
        constraint "oauth_codes_grant_id_foreign" foreign key ("grant_id")
          references "oauth_grants" ("id") on update cascade on delete cascade
      );`);
    this.addSql(`create index "oauth_codes_grant_id_index" on "oauth_codes" ("grant_id");`);
    this.addSql(`create index "oauth_codes_expires_at_index" on "oauth_codes" ("expires_at");`);
    this.addSql(`
      create table "oauth_tokens" (
        "id" uuid not null default gen_random_uuid(),
        "grant_id" uuid not null,
        "kind" varchar(10) not null,
        "token_hash" char(64) not null,
        "created_at" timestamptz not null default now(),
        "expires_at" timestamptz not null,
        "used_at" timestamptz null,
        "revoked_at" timestamptz null,
        constraint "oauth_tokens_pkey" primary key ("id"),
        constraint "oauth_tokens_token_hash_unique" unique ("token_hash"),
        constraint "oauth_tokens_kind_check" check ("kind" in ('access', 'refresh')),
        constraint "oauth_tokens_grant_id_foreign" foreign key ("grant_id")
          references "oauth_grants" ("id") on update cascade on delete cascade
      );`);
    this.addSql(`create index "oauth_tokens_grant_id_index" on "oauth_tokens" ("grant_id");`);
    this.addSql(`create index "oauth_tokens_expires_at_index" on "oauth_tokens" ("expires_at");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "oauth_tokens" cascade;`);
    this.addSql(`drop table if exists "oauth_codes" cascade;`);
    this.addSql(`drop table if exists "oauth_grants" cascade;`);
    this.addSql(`drop table if exists "oauth_requests" cascade;`);
    this.addSql(`drop table if exists "oauth_clients" cascade;`);
  }
}
