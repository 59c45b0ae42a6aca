import { Migration } from '@mikro-orm/migrations';

/**
 * Sign-in: the pre-auth records that bind an authorization request (state, nonce, PKCE verifier)
 * to the browser that started it, and the revocation time of a session.
 */
export class Migration20261127000003_sign_in extends Migration {
  override up(): void {
    this.addSql(`
      create table "sign_in_requests" (
        "id" uuid not null default gen_random_uuid(),
        "cookie_hash" varchar(64) not null,
        "state" varchar(128) not null,
        "nonce" varchar(128) not null,
        "code_verifier" varchar(128) not null,
        "return_to" varchar(2048) not null,
        "created_at" timestamptz not null default now(),
        "expires_at" timestamptz not null,
        constraint "sign_in_requests_pkey" primary key ("id"),
        constraint "sign_in_requests_cookie_hash_unique" unique ("cookie_hash")
      );`);
    this.addSql(`comment on column "sign_in_requests"."cookie_hash" is 'SHA-256 (hex) of the pre-auth cookie; the cookie value is never stored';`);
    this.addSql(`create index "sign_in_requests_state_index" on "sign_in_requests" ("state");`);
    this.addSql(`create index "sign_in_requests_expires_at_index" on "sign_in_requests" ("expires_at");`);

    this.addSql(`alter table "enhanced_sessions" add column "revoked_at" timestamptz null;`);
    this.addSql(`create index "enhanced_sessions_revoked_at_index" on "enhanced_sessions" ("revoked_at");`);
  }

  override down(): void {
    this.addSql(`drop index if exists "enhanced_sessions_revoked_at_index";`);
    this.addSql(`alter table "enhanced_sessions" drop column if exists "revoked_at";`);
    this.addSql(`drop table if exists "sign_in_requests" cascade;`);
  }
}
