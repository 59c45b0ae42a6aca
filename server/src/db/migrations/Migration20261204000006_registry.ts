import { Migration } from '@mikro-orm/migrations';

/**
 * The MCP server registry: a tenant's servers, what discovery found on each (its catalogue), and
 * their health. Catalogue and health have a row per server, removed with it; a server goes with its
 * tenant. The checks repeat the application's rules so that no other writer can store what the app
 * would refuse. Upstream secrets are stored only encrypted (AES-256-GCM, lib/secrets.ts).
 */
export class Migration20261204000006_registry extends Migration {
  override up(): void {
    this.addSql(`
      create table "mcp_servers" (
        "id" uuid not null default gen_random_uuid(),
        "tenant_id" varchar(100) not null,
        "slug" varchar(16) not null,
        "name" varchar(100) not null,
        "url" varchar(2048) not null,
        "description" varchar(1000) null,
        "enabled" boolean not null default true,
        "auth_kind" varchar(10) not null default 'none',
        "auth_header_name" varchar(100) null,
        "auth_secret" bytea null,
        "created_by_id" uuid null,
        "updated_by_id" uuid null,
        "created_at" timestamptz not null default now(),
        "updated_at" timestamptz not null default now(),
        constraint "mcp_servers_pkey" primary key ("id"),
        constraint "mcp_servers_tenant_id_foreign" foreign key ("tenant_id")
          references "tenants" ("id") on update cascade on delete cascade,
        constraint "mcp_servers_created_by_id_foreign" foreign key ("created_by_id")
          references "users" ("id") on update cascade on delete set null,
        constraint "mcp_servers_updated_by_id_foreign" foreign key ("updated_by_id")
          references "users" ("id") on update cascade on delete set null,
        constraint "mcp_servers_tenant_id_slug_unique" unique ("tenant_id", "slug"),
        constraint "mcp_servers_slug_check" check ("slug" ~ '^[a-z0-9-]{1,16}$'),
        constraint "mcp_servers_url_check" check ("url" ~ '^https?://'),
        constraint "mcp_servers_auth_check" check (
          ("auth_kind" = 'none' and "auth_secret" is null and "auth_header_name" is null)
          or ("auth_kind" = 'bearer' and "auth_secret" is not null and "auth_header_name" is null)
          or ("auth_kind" = 'header' and "auth_secret" is not null and "auth_header_name" is not null))
      );`);
    this.addSql(`create index "mcp_servers_created_by_id_index" on "mcp_servers" ("created_by_id");`);
    this.addSql(`create index "mcp_servers_updated_by_id_index" on "mcp_servers" ("updated_by_id");`);
    this.addSql(`comment on column "mcp_servers"."auth_secret" is 'The bearer token or header value, AES-256-GCM under MREG_SECRET_KEY: version, nonce, ciphertext, tag';`);

    this.addSql(`
      create table "mcp_server_catalogues" (
        "server_id" uuid not null,
        "server_info" jsonb not null,
        "protocol_version" varchar(50) not null,
        "instructions" text null,
        "tools" jsonb not null,
        "resources" jsonb not null,
        "resource_templates" jsonb not null,
        "prompts" jsonb not null,
        "size_bytes" int not null,
        "fetched_at" timestamptz not null,
        constraint "mcp_server_catalogues_pkey" primary key ("server_id"),
        constraint "mcp_server_catalogues_server_id_foreign" foreign key ("server_id")
          references "mcp_servers" ("id") on update cascade on delete cascade
      );`);

    this.addSql(`
      create table "mcp_server_health" (
        "server_id" uuid not null,
        "status" varchar(10) not null default 'unknown',
        "last_checked_at" timestamptz null,
        "last_success_at" timestamptz null,
        "last_error" varchar(1000) null,
        "consecutive_failures" int not null default 0,
        "latency_ms" int null,
        "next_check_at" timestamptz not null default now(),
        constraint "mcp_server_health_pkey" primary key ("server_id"),
        constraint "mcp_server_health_server_id_foreign" foreign key ("server_id")
          references "mcp_servers" ("id") on update cascade on delete cascade,
        constraint "mcp_server_health_status_check" check ("status" in ('healthy', 'unhealthy', 'unknown'))
      );`);
    this.addSql(`create index "mcp_server_health_next_check_at_index" on "mcp_server_health" ("next_check_at");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "mcp_server_health" cascade;`);
    this.addSql(`drop table if exists "mcp_server_catalogues" cascade;`);
    this.addSql(`drop table if exists "mcp_servers" cascade;`);
  }
}
