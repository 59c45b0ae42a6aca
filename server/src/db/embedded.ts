import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { startCluster, type PostgresCluster } from './postgres-cluster';
import { isAlive } from '../lib/processes';

/**
 * Embedded PostgreSQL: a cluster of real PostgreSQL under `<MREG_DATA_DIR>/postgres`, run by this
 * process (postgres-cluster.ts), reachable by MREG alone, for this process alone (mreg.lock).
 */
export interface EmbeddedDatabase {
  /** postgresql:// URL of the cluster's `postgres` database (Unix socket, or loopback with a password). */
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

export async function openEmbeddedDatabase(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const unlock = lockDataDir(dataDir);
  try {
    const pglite = join(dataDir, PGLITE_DIR);
    if (existsSync(pglite)) {
      logger.warn(
        { oldFiles: pglite },
        `The embedded database is now PostgreSQL, no longer PGlite: what the earlier version stored stays in ${pglite}, unused (remove it when you no longer need it)`,
      );
    }
    const cluster = await startCluster({ root: join(dataDir, 'postgres'), logger });
    return {
      url: cluster.url(),
      cluster,
      async close() {
        try {
          await cluster.stop();
        } finally {
          unlock();
        }
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}
