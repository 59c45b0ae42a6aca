import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * Embedded PostgreSQL: PGlite with its files under the data directory, served on a loopback port by
 * pglite-socket so that MikroORM's postgresql driver talks to it like to any PostgreSQL
 * (STACK.md: one connection, pool max 1).
 */
export interface EmbeddedDatabase {
  /** postgresql:// URL of the loopback socket. */
  url: string;
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
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
 * Takes `<dataDir>/mreg.lock` for this process. PGlite takes no lock of its own, and two processes
 * on one directory corrupt it. A lock left by a process that died is taken over; the takeover
 * renames the stale file away atomically, so two processes racing for it cannot both win.
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

export async function openEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const unlock = lockDataDir(dataDir);
  try {
    const db = await PGlite.create({ dataDir: join(dataDir, 'pglite') });
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
    try {
      await server.start();
    } catch (error) {
      await db.close();
      throw error;
    }
    return {
      url: `postgresql://postgres@${server.getServerConn()}/postgres`,
      async close() {
        try {
          await server.stop();
          await db.close();
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
