import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, linkSync, writeFileSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { startCluster, type PostgresCluster } from './postgres-cluster';
import { isAlive } from '../lib/processes';

/**
 * Embedded PostgreSQL: a cluster of real PostgreSQL under `<MREG_DATA_DIR>/postgres`, run by this
 * process (postgres-cluster.ts), reachable by MREG alone, for this process alone (mreg.lock).
 */
export interface EmbeddedDatabase {
  /** postgresql:// URL of MREG's database as MREG's role (no superuser). */
  url: string;
  cluster: PostgresCluster;
  close(): Promise<void>;
}

export class DataDirInUseError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `MREG_DATA_DIR ${dataDir} is in use by another MREG process (pid ${pid}). ` +
        'Stop that process, or give this one its own MREG_DATA_DIR or a MREG_DATABASE_URL.',
    );
    this.name = 'DataDirInUseError';
  }
}

/** Lock files this process holds: a lock naming our own pid but not listed here is stale (a restart after kill -9 may reuse the pid, as PID 1 in a container does). */
const held = new Set<string>();

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes `<dataDir>/mreg.lock` for this process. Without it, a second MREG on the directory would take
 * the first one's running PostgreSQL for an orphan and stop it. A lock left by a process that died is
 * taken over; the takeover renames the stale file away atomically, so two racing processes cannot
 * both win.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockPath = join(dataDir, 'mreg.lock');
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      held.add(lockPath);
      return () => {
        held.delete(lockPath);
        if (readHolder(lockPath) === process.pid) rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(lockPath);
    if (holder === undefined) continue; // removed or being written in between: look again
    const ours = holder === process.pid;
    if ((ours && held.has(lockPath)) || (!ours && isAlive(holder))) throw new DataDirInUseError(dataDir, holder);

    const grave = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(lockPath, grave);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    // Another process may have taken the stale lock over first: then we moved its live lock, so
    // put it back (link fails if a third one got there) and look again.
    if (readHolder(grave) !== holder) {
      try {
        linkSync(grave, lockPath);
      } catch {
        // The lock path is taken again; the next attempt reads its holder.
      }
    }
    rmSync(grave, { force: true });
  }
  throw new Error(`Could not take the lock ${lockPath}; remove it if no MREG process uses ${dataDir}`);
}

/** Where an earlier MREG kept PGlite's files. */
export const PGLITE_DIR = 'pglite';
/** MREG's own role and database: no superuser, so SQL cannot read files or run programs through it. */
export const APP_ROLE = 'mreg_app';
export const APP_DATABASE = 'mreg';

/**
 * The role MREG connects as, with the password kept in `<root>/app-password` (0600), and its
 * database. Run at every start: a lost password file gets a new password, a missing database is made.
 */
async function ensureAppDatabase(cluster: PostgresCluster, root: string): Promise<string> {
  const passwordFile = join(root, 'app-password');
  if (!existsSync(passwordFile)) writeFileSync(passwordFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  chmodSync(passwordFile, 0o600);
  const password = readFileSync(passwordFile, 'utf8').trim();
  const client = new pg.Client(cluster.connection);
  await client.connect();
  try {
    const role = client.escapeIdentifier(APP_ROLE);
    const { rowCount } = await client.query('select 1 from pg_roles where rolname = $1', [APP_ROLE]);
    if (!rowCount) await client.query(`create role ${role}`);
    await client.query(`alter role ${role} with login nosuperuser nocreatedb nocreaterole noreplication password ${client.escapeLiteral(password)}`);
    const database = await client.query('select 1 from pg_database where datname = $1', [APP_DATABASE]);
    if (!database.rowCount) await client.query(`create database ${client.escapeIdentifier(APP_DATABASE)} owner ${role}`);
  } finally {
    await client.end();
  }
  return cluster.url(APP_DATABASE, APP_ROLE, password);
}

export async function openEmbeddedDatabase(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const unlock = lockDataDir(dataDir);
  let cluster: PostgresCluster | undefined;
  try {
    const pglite = join(dataDir, PGLITE_DIR);
    if (existsSync(pglite)) {
      logger.warn(
        { oldFiles: pglite },
        `The embedded database is now PostgreSQL, no longer PGlite: what the earlier version stored stays in ${pglite}, unused (remove it when you no longer need it)`,
      );
    }
    const root = join(dataDir, 'postgres');
    cluster = await startCluster({ root, logger });
    const url = await ensureAppDatabase(cluster, root);
    const started = cluster;
    return {
      url,
      cluster: started,
      async close() {
        try {
          await started.stop();
        } finally {
          unlock();
        }
      },
    };
  } catch (error) {
    await cluster?.stop();
    unlock();
    throw error;
  }
}
