import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase, deleteRedisKeys, type ScratchDatabase } from '@mreg/server/testing/databases';
import { spawnServer } from '@mreg/server/testing/processes';

const main = fileURLToPath(new URL('../server/dist/main.js', import.meta.url));

export interface E2eServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * The built server (server/dist/main.js) on a free loopback port with a fresh embedded database, or
 * a fresh database on MREG_TEST_DATABASE_URL and Redis on MREG_TEST_REDIS_URL when set; `env` is
 * added to its environment. Stopping it drops what it made.
 */
export async function startE2eServer(env: Record<string, string> = {}): Promise<E2eServer> {
  if (!existsSync(main)) throw new Error('server/dist/main.js is missing: run `pnpm build` first (pnpm test:e2e does)');
  // The server's working directory too, so that no .env of the developer's is read.
  const dataDir = await mkdtemp(join(tmpdir(), 'mreg-e2e-'));
  const runId = `mreg_e2e_${Date.now().toString(36)}_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;
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
        ...env,
      },
      dataDir,
    );
    let url: string;
    try {
      url = await server.listening();
    } catch (error) {
      server.child.kill('SIGKILL');
      await server.exit;
      throw error;
    }
    return {
      url,
      async stop() {
        await server.stop();
        await cleanUp();
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
