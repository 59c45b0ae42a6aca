import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../logger';
import { isAlive, waitForExit } from '../lib/processes';
import { postmasterPid, startCluster } from '../db/postgres-cluster';
import { assertReachable, deleteRedisKeys, dropScratchDatabases } from './databases';

/**
 * Once per integration run: a name prefix for this run's databases and Redis keys; without
 * MREG_TEST_DATABASE_URL, one embedded PostgreSQL for the whole run (each test file makes its own
 * database on it); and at the end the removal of whatever a test file left behind (a crashed file
 * cannot drop its own database).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    runId: string;
    /** The run's embedded PostgreSQL (superuser, `postgres` database); '' with MREG_TEST_DATABASE_URL. */
    embeddedPostgresUrl: string;
  }
}

const CLUSTER_PREFIX = 'mreg-test-pg-';
/** The PID of the test run that made the cluster, so that a later run can tell an abandoned one. */
const OWNER_FILE = 'owner.pid';

/** Clusters of runs that were killed before their teardown: their PostgreSQL stopped, their folders removed. */
async function removeAbandonedClusters(): Promise<void> {
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(CLUSTER_PREFIX)) continue;
    const root = join(tmpdir(), name);
    const owner = Number.parseInt(await readFile(join(root, OWNER_FILE), 'utf8').catch(() => ''), 10);
    if (!owner || isAlive(owner)) continue;
    const postmaster = postmasterPid(join(root, 'data'));
    if (postmaster && isAlive(postmaster)) {
      process.kill(postmaster, 'SIGQUIT');
      await waitForExit(postmaster, 5000);
    }
    await rm(root, { recursive: true, force: true });
  }
}

export default async function setup(project: TestProject) {
  const runId = `mreg_t${Date.now().toString(36)}_${process.pid}`;
  project.provide('runId', runId);
  const databaseUrl = process.env.MREG_TEST_DATABASE_URL;
  const redisUrl = process.env.MREG_TEST_REDIS_URL;

  if (databaseUrl) await assertReachable(databaseUrl, 'MREG_TEST_DATABASE_URL');
  if (!databaseUrl) await removeAbandonedClusters();
  const root = databaseUrl ? undefined : await mkdtemp(join(tmpdir(), CLUSTER_PREFIX));
  if (root) await writeFile(join(root, OWNER_FILE), `${process.pid}\n`);
  const cluster = root
    ? await startCluster({
        root,
        logger: createLogger('warn', process.stderr),
        // Test data need not survive a power cut; many test apps, each with its own pool, run at once.
        settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: 300 },
      })
    : undefined;
  project.provide('embeddedPostgresUrl', cluster?.url() ?? '');

  return async () => {
    if (databaseUrl) await dropScratchDatabases(databaseUrl, runId);
    if (redisUrl) await deleteRedisKeys(redisUrl, runId);
    await cluster?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  };
}
