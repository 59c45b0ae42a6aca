import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { openEmbeddedDatabase } from './embedded';
import { initOrm } from './orm';
import { withTimeout } from '../lib/timeout';

export interface Database {
  orm: MikroORM;
  /** Applies pending migrations; returns their names. */
  migrate(): Promise<string[]>;
  /** Undoes the last migration; returns its name (none when nothing was applied). */
  rollback(): Promise<string[]>;
  /** Resolves when the database answers `select 1` within the time limit. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A PostgreSQL server; without it, the embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  logger: Logger;
  /** See MREG_DATABASE_STATEMENT_TIMEOUT. */
  statementTimeoutMs: number;
}

const POOL_MAX = 10;
/** Migrations may rewrite big tables: they get their own connection with this limit. */
const MIGRATION_TIMEOUT_MS = 10 * 60_000;
/**
 * The advisory lock (two-key form: 'mreg', 2) held on the migration connection while migrations
 * run, so that instances starting together on one database migrate one after the other: the
 * second finds nothing left to do.
 */
export const MIGRATION_LOCK = [0x6d726567, 2] as const;

export async function openDatabase({ databaseUrl, dataDir, logger, statementTimeoutMs }: DatabaseOptions): Promise<Database> {
  const embedded = databaseUrl === undefined ? await openEmbeddedDatabase(dataDir, logger) : undefined;
  const clientUrl = embedded?.url ?? databaseUrl!;
  let orm: MikroORM;
  try {
    orm = await initOrm({ clientUrl, poolMax: POOL_MAX, statementTimeoutMs, logger });
  } catch (error) {
    await embedded?.close();
    throw error;
  }
  const connection = await orm.checkConnection();
  if (!connection.ok) {
    await orm.close(true);
    await embedded?.close();
    const where = databaseUrl ? ` at ${redactUrl(databaseUrl)}` : '';
    throw new Error(`Cannot connect to the database${where}: ${connection.reason}`);
  }

  const migrator = async (direction: 'up' | 'down') => {
    // One connection (poolMax 1): the lock and the migrations share it.
    const own = await initOrm({ clientUrl, poolMax: 1, statementTimeoutMs: MIGRATION_TIMEOUT_MS, logger });
    const connection = own.em.getConnection();
    try {
      await connection.execute('select pg_advisory_lock(?, ?)', [...MIGRATION_LOCK]);
      const done = await own.getMigrator()[direction]();
      return done.map((m) => m.name);
    } finally {
      // Closing the connection releases the lock too.
      await own.close(true);
    }
  };

  return {
    orm,
    migrate: () => migrator('up'),
    rollback: () => migrator('down'),
    async ping(timeoutMs = 2000) {
      await withTimeout(orm.em.getConnection().execute('select 1'), timeoutMs, 'The database');
    },
    async close() {
      try {
        await orm.close(true);
      } finally {
        await embedded?.close();
      }
    },
  };
}

/** The URL without its password, for messages. */
export function redactUrl(value: string): string {
  const url = new URL(value);
  if (url.password) url.password = '***';
  return url.toString();
}

/** Where the database is, for log lines and messages. */
export function describeDatabase(databaseUrl: string | undefined, dataDir: string): string {
  return databaseUrl ? redactUrl(databaseUrl) : `embedded PostgreSQL in ${dataDir}`;
}
