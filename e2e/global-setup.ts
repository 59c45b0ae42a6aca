import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase } from '@mreg/server/testing/databases';

const root = fileURLToPath(new URL('..', import.meta.url));
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
  const main = join(root, 'server/dist/main.js');
  if (!existsSync(main)) throw new Error('server/dist/main.js is missing: run `pnpm build` first (pnpm test:e2e does)');

  const dataDir = await mkdtemp(join(tmpdir(), 'mreg-e2e-'));
  const adminUrl = process.env.MREG_TEST_DATABASE_URL;
  const scratch = adminUrl ? await createScratchDatabase(adminUrl, `mreg_e2e_${Date.now().toString(36)}_${process.pid}`) : undefined;
  const databaseUrl = scratch?.url;

  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MREG_')));
  const server = spawn(process.execPath, [main], {
    cwd: root,
    env: {
      ...env,
      MREG_ENV: 'test',
      MREG_PORT: '0',
      MREG_DATA_DIR: dataDir,
      MREG_LOG_LEVEL: 'info',
      ...(databaseUrl ? { MREG_DATABASE_URL: databaseUrl } : {}),
      ...(process.env.MREG_TEST_REDIS_URL ? { MREG_REDIS_URL: process.env.MREG_TEST_REDIS_URL } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      server.kill('SIGKILL');
      reject(new Error(`MREG did not start within 30 s:\n${out}`));
    }, 30_000);
    server.stdout!.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.includes('"MREG listening"'));
      if (line) {
        clearTimeout(timer);
        server.stdout!.removeAllListeners('data');
        server.stdout!.resume(); // keep draining the server's log so it never blocks
        resolve(JSON.parse(line).url);
      }
    });
    server.on('exit', (code) => reject(new Error(`MREG exited with ${code}:\n${out}`)));
  });
  process.env.MREG_TEST_E2E_URL = url;

  return async () => {
    const exited = new Promise((resolve) => server.on('exit', resolve));
    server.kill('SIGTERM');
    await exited;
    await scratch?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
