import { Migration } from '@mikro-orm/migrations';

/**
 * Tenants and roles: a session whose holder's role changed gets a new token at its next request
 * (`rotation_due_at`); sessions are found by their active tenant when a membership ends; and a
 * membership's role is the directory's (re-read from the token at each sign-in) until a tenant
 * admin sets it (`role_managed_by`).
 */
export class Migration20261127000004_tenants extends Migration {
  override up(): void {
    this.addSql(`alter table "enhanced_sessions" add column "rotation_due_at" timestamptz null;`);
    this.addSql(
      `comment on column "enhanced_sessions"."rotation_due_at" is 'Set when the holder''s role in the active tenant changed: the next request gets a new token';`,
    );
    this.addSql(`create index "enhanced_sessions_user_id_tenant_index" on "enhanced_sessions" ("user_id", (("tenant_context" ->> 'tenantId')));`);
    this.addSql(`alter table "user_tenant_memberships" add column "role_managed_by" varchar(20) not null default 'directory';`);
    this.addSql(
      `alter table "user_tenant_memberships" add constraint "user_tenant_memberships_role_managed_by_check" check ("role_managed_by" in ('directory', 'tenant'));`,
    );
  }

  override down(): void {
    this.addSql(`alter table "user_tenant_memberships" drop column if exists "role_managed_by";`);
    this.addSql(`drop index if exists "enhanced_sessions_user_id_tenant_index";`);
    this.addSql(`alter table "enhanced_sessions" drop column if exists "rotation_due_at";`);
  }
}
