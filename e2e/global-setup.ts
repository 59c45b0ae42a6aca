import { existsSync } from 'node:fs';
import { startE2eServer } from './server';

const chromium = process.env.MREG_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Starts the built server for the tests (see startE2eServer) and hands its URL to them in MREG_TEST_E2E_URL. */
export default async function globalSetup() {
  if (!existsSync(chromium)) {
    throw new Error(`No browser at ${chromium}: install Debian's chromium (apt-get install -y chromium) or set MREG_TEST_CHROMIUM`);
  }
  const server = await startE2eServer();
  process.env.MREG_TEST_E2E_URL = server.url;
  return () => server.stop();
}
