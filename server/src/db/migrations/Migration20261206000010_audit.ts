import { Migration } from '@mikro-orm/migrations';

/**
 * The audit log (issue 21). Append-only: a trigger refuses every update, and every delete but the
 * retention clean-up's, which says so in its own transaction (`set local mreg.audit_retention = 'on'`).
 * No foreign keys: an event outlives the person, tenant, server or key it names. Names are kept as
 * they were (labels) beside the ids, for what is gone by the time someone reads the log.
 */
export class Migration20261206000010_audit extends Migration {
  override up(): void {
    this.addSql(`
      create table "audit_events" (
        "id" bigint generated always as identity,
        "at" timestamptz not null default now(),
        "tenant_id" varchar(100) null,
        "actor_kind" varchar(16) not null,
        "actor_user_id" uuid null,
        "actor_label" varchar(255) null,
        "actor_credential_id" varchar(255) null,
        "action" varchar(64) not null,
        "target_kind" varchar(32) null,
        "target_id" varchar(255) null,
        "target_label" varchar(255) null,
        "outcome" varchar(16) not null,
        "reason" varchar(255) null,
        "ip" varchar(64) null,
        "user_agent" varchar(500) null,
        "request_id" varchar(128) null,
        "duration_ms" integer null,
        "details" jsonb not null default '{}',
        constraint "audit_events_pkey" primary key ("id"),
        constraint "audit_events_actor_kind_check" check ("actor_kind" in ('user', 'api_key', 'oauth_client', 'system', 'anonymous')),
        constraint "audit_events_outcome_check" check ("outcome" in ('success', 'failure', 'refused', 'error', 'cancelled', 'timeout'))
      );`);
    // The log is read per tenant, newest first (time, then id), by action or person; usage reads tool calls by time.
    this.addSql(`create index "audit_events_tenant_at_index" on "audit_events" ("tenant_id", "at" desc, "id" desc);`);
    this.addSql(`create index "audit_events_tenant_action_index" on "audit_events" ("tenant_id", "action", "at" desc, "id" desc);`);
    this.addSql(`create index "audit_events_tenant_actor_index" on "audit_events" ("tenant_id", "actor_user_id", "at" desc, "id" desc);`);
    this.addSql(`create index "audit_events_usage_index" on "audit_events" ("tenant_id", "at") where "action" = 'tool.called';`);
    this.addSql(`create index "audit_events_at_index" on "audit_events" ("at");`);
    this.addSql(`
      create function "audit_events_append_only"() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and current_setting('mreg.audit_retention', true) = 'on' then
          return old;
        end if;
        raise exception 'audit_events is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
      end
      $$;`);
    this.addSql(`
      create trigger "audit_events_append_only" before update or delete on "audit_events"
        for each row execute function "audit_events_append_only"();`);
    this.addSql(`
      create trigger "audit_events_no_truncate" before truncate on "audit_events"
        for each statement execute function "audit_events_append_only"();`);
  }

  override down(): void {
    this.addSql(`drop table if exists "audit_events" cascade;`);
    this.addSql(`drop function if exists "audit_events_append_only"();`);
  }
}
