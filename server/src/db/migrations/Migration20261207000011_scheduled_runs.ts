import { Migration } from '@mikro-orm/migrations';

/**
 * Periodic jobs that run once per interval across all instances: the instance that moves
 * `next_run_at` an interval ahead runs the job; the others find it in the future and wait. The last
 * run is kept for operators (which instance, when).
 */
export class Migration20261207000011_scheduled_runs extends Migration {
  override up(): void {
    this.addSql(`
      create table "scheduled_runs" (
        "job" varchar(64) not null,
        "next_run_at" timestamptz not null,
        "last_run_at" timestamptz null,
        "last_instance" varchar(128) null,
        constraint "scheduled_runs_pkey" primary key ("job")
      );`);
  }

  override down(): void {
    this.addSql(`drop table if exists "scheduled_runs";`);
  }
}
