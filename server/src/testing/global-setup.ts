import type { TestProject } from 'vitest/node';
import { assertReachable, deleteRedisKeys, dropScratchDatabases } from './databases';

/**
 * Once per integration run: a name prefix for this run's databases and Redis keys, and at the end
 * the removal of whatever a test file left behind (a crashed file cannot drop its own database).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    runId: string;
  }
}

export default async function setup(project: TestProject) {
  const runId = `mreg_t${Date.now().toString(36)}_${process.pid}`;
  project.provide('runId', runId);
  const databaseUrl = process.env.MREG_TEST_DATABASE_URL;
  const redisUrl = process.env.MREG_TEST_REDIS_URL;

  if (databaseUrl) await assertReachable(databaseUrl, 'MREG_TEST_DATABASE_URL');

  return async () => {
    if (databaseUrl) await dropScratchDatabases(databaseUrl, runId);
    if (redisUrl) await deleteRedisKeys(redisUrl, runId);
  };
}
