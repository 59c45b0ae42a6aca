import { Migration } from '@mikro-orm/migrations';

/**
 * Invitations to a tenant (issue 22): by email (normalised) and role, with an expiry; only the
 * SHA-256 of the link's token is kept. Answered, revoked and expired invitations stay, marked, so
 * that their link says what became of it; a new link for one replaces its token.
 */
export class Migration20261206000009_invitations extends Migration {
  override up(): void {
    this.addSql(`
      create table "tenant_invitations" (
        "id" uuid not null default gen_random_uuid(),
        "tenant_id" varchar(100) not null,
        "email" varchar(254) not null,
        "role" varchar(50) not null,
        "token_hash" char(64) not null,
        "invited_by_id" uuid null,
        "created_at" timestamptz not null default now(),
        "expires_at" timestamptz not null,
        "accepted_at" timestamptz null,
        "accepted_by_id" uuid null,
        "declined_at" timestamptz null,
        "revoked_at" timestamptz null,
        constraint "tenant_invitations_pkey" primary key ("id"),
        constraint "tenant_invitations_token_hash_unique" unique ("token_hash"),
        constraint "tenant_invitations_role_check" check ("role" in ('admin', 'member', 'viewer')),
        constraint "tenant_invitations_tenant_id_foreign" foreign key ("tenant_id")
          references "tenants" ("id") on update cascade on delete cascade,
        constraint "tenant_invitations_invited_by_id_foreign" foreign key ("invited_by_id")
          references "users" ("id") on update cascade on delete set null,
        constraint "tenant_invitations_accepted_by_id_foreign" foreign key ("accepted_by_id")
          references "users" ("id") on update cascade on delete set null
      );`);
    this.addSql(`create index "tenant_invitations_tenant_id_index" on "tenant_invitations" ("tenant_id");`);
    this.addSql(`create index "tenant_invitations_invited_by_id_index" on "tenant_invitations" ("invited_by_id");`);
    this.addSql(`create index "tenant_invitations_accepted_by_id_index" on "tenant_invitations" ("accepted_by_id");`);
    // One open invitation per person and tenant: inviting again gives the existing one a new link.
    this.addSql(
      `create unique index "tenant_invitations_open_unique" on "tenant_invitations" ("tenant_id", "email") where "accepted_at" is null and "declined_at" is null and "revoked_at" is null;`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "tenant_invitations" cascade;`);
  }
}
