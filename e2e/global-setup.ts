import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase, deleteRedisKeys, type ScratchDatabase } from '@mreg/server/testing/databases';
import { spawnServer } from '@mreg/server/testing/processes';

const main = fileURLToPath(new URL('../server/dist/main.js', import.meta.url));
const chromium = process.env.MREG_TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Starts the built server (server/dist/main.js) on a free loopback port with a fresh embedded
 * database, or a fresh database on MREG_TEST_DATABASE_URL and Redis on MREG_TEST_REDIS_URL when
 * set, and hands its URL to the tests in MREG_TEST_E2E_URL.
 */
export default async function globalSetup() {
  if (!existsSync(chromium)) {
    throw new Error(`No browser at ${chromium}: install Debian's chromium (apt-get install -y chromium) or set MREG_TEST_CHROMIUM`);
  }
  if (!existsSync(main)) throw new Error('server/dist/main.js is missing: run `pnpm build` first (pnpm test:e2e does)');

  // The server's working directory too, so that no .env of the developer's is read.
  const dataDir = await mkdtemp(join(tmpdir(), 'mreg-e2e-'));
  const runId = `mreg_e2e_${Date.now().toString(36)}_${process.pid}`;
  const redisUrl = process.env.MREG_TEST_REDIS_URL;
  let scratch: ScratchDatabase | undefined;
  const cleanUp = async () => {
    await scratch?.drop();
    if (redisUrl) await deleteRedisKeys(redisUrl, runId);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const adminUrl = process.env.MREG_TEST_DATABASE_URL;
    if (adminUrl) scratch = await createScratchDatabase(adminUrl, runId);
    const server = spawnServer(
      [main],
      {
        MREG_ENV: 'test',
        MREG_PORT: '0',
        MREG_DATA_DIR: dataDir,
        MREG_DATABASE_URL: scratch?.url,
        MREG_REDIS_URL: redisUrl,
        MREG_REDIS_NAMESPACE: runId,
        // Every test signs in through the provider, several times a minute from one address.
        MREG_SIGN_IN_RATE_LIMIT: '1000',
      },
      dataDir,
    );
    try {
      process.env.MREG_TEST_E2E_URL = await server.listening();
    } catch (error) {
      server.child.kill('SIGKILL');
      await server.exit;
      throw error;
    }
    return async () => {
      await server.stop();
      await cleanUp();
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
