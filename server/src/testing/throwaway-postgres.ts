import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type PostgresCluster } from '../db/postgres-cluster';
import { captureLogger } from './harness';
import { freePort } from './processes';

/**
 * A PostgreSQL of the test's own, on a free loopback port, for tests that stop and kill the
 * database: never the run's shared one, which other test files use. The same binaries and code as
 * MREG's embedded PostgreSQL, listening on 127.0.0.1 (with its password) so that it can be stopped
 * and started again at the same address.
 */
export interface ThrowawayPostgres {
  port: number;
  url: string;
  /** The postmaster's PID while it runs. */
  readonly pid: number | undefined;
  /** Fast shutdown (SIGINT): the postmaster disconnects clients, checkpoints and exits. */
  stop(): Promise<void>;
  /** SIGKILL to the postmaster, as a crash would; its backends exit once they notice. */
  kill(): Promise<void>;
  /** Again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it if it runs and removes the data directory. */
  cleanup(): Promise<void>;
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const root = await mkdtemp(join(tmpdir(), 'mreg-pg-'));
  const port = await freePort();
  const { logger } = captureLogger('warn');
  let cluster: PostgresCluster | undefined;
  const start = async () => {
    cluster = await startCluster({ root, logger, tcpPort: port, settings: { fsync: 'off' } });
  };
  try {
    await start();
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: cluster!.url(),
    get pid() {
      return cluster?.pid;
    },
    stop: () => cluster!.stop(),
    kill: () => cluster!.kill(),
    start,
    async cleanup() {
      try {
        await cluster?.stop();
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}
