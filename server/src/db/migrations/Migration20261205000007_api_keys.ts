import { Migration } from '@mikro-orm/migrations';

/**
 * API keys: a person's credential for a tenant, of which only the SHA-256 is kept. A key goes with
 * its owner and with its tenant; revoked keys stay, marked, so that a revocation is never undone by
 * a cache filled before it.
 */
export class Migration20261205000007_api_keys extends Migration {
  override up(): void {
    this.addSql(`
      create table "api_keys" (
        "id" uuid not null default gen_random_uuid(),
        "user_id" uuid not null,
        "tenant_id" varchar(100) not null,
        "name" varchar(64) not null,
        "token_hash" char(64) not null,
        "hint" varchar(20) not null,
        "created_at" timestamptz not null default now(),
        "expires_at" timestamptz null,
        "last_used_at" timestamptz null,
        "revoked_at" timestamptz null,
        constraint "api_keys_pkey" primary key ("id"),
        constraint "api_keys_token_hash_unique" unique ("token_hash"),
        constraint "api_keys_user_id_foreign" foreign key ("user_id")
          references "users" ("id") on update cascade on delete cascade,
        constraint "api_keys_tenant_id_foreign" foreign key ("tenant_id")
          references "tenants" ("id") on update cascade on delete cascade,
        constraint "api_keys_hint_check" check ("hint" like 'mreg\\_pat\\_%'),
        constraint "api_keys_expiry_check" check ("expires_at" is null or "expires_at" > "created_at")
      );`);
    this.addSql(`create index "api_keys_user_id_tenant_id_index" on "api_keys" ("user_id", "tenant_id");`);
    this.addSql(`create index "api_keys_tenant_id_index" on "api_keys" ("tenant_id");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "api_keys" cascade;`);
  }
}
