import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { openEmbeddedDatabase, type EmbeddedDatabase } from './embedded';
import { initOrm } from './orm';
import { withTimeout } from '../lib/timeout';

export interface Database {
  orm: MikroORM;
  /** Applies pending migrations; returns their names. */
  migrate(): Promise<string[]>;
  /** Resolves when the database answers `select 1` within the time limit. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A PostgreSQL server; without it, embedded PGlite under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  logger: Logger;
  /** Overrides the pool size: 10 for a server, 1 for embedded PGlite. */
  poolMax?: number;
}

export async function openDatabase({ databaseUrl, dataDir, logger, poolMax }: DatabaseOptions): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  if (databaseUrl === undefined) embedded = await openEmbeddedDatabase(dataDir);
  let orm: MikroORM;
  try {
    orm = await initOrm({
      clientUrl: embedded?.url ?? databaseUrl!,
      poolMax: poolMax ?? (embedded ? 1 : 10),
      logger,
    });
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

  return {
    orm,
    async migrate() {
      const applied = await orm.getMigrator().up();
      return applied.map((m) => m.name);
    },
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
