import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { postmasterPid } from './db/postgres-cluster';
import { DRAINING } from './server';
import { isAlive } from './lib/processes';
import { createDatabaseTarget, databaseMode, type DatabaseTarget } from './testing/harness';
import { freePort, spawnServer, TSX_IMPORT, type ServerProcess } from './testing/processes';
import { CookieClient } from './testing/cookie-client';
import { signInAs, trpcQuery } from './testing/sign-in';

const MAIN = new URL('./main.ts', import.meta.url).pathname;

const running: ServerProcess[] = [];
const targets: DatabaseTarget[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
    await run.exit;
  }
  for (const target of targets.splice(0)) await target.drop();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** `main.ts` as its own process, the way `pnpm start` runs the server, in a directory without .env. */
async function runMain(env: Record<string, string | undefined>, dotenv?: string): Promise<ServerProcess> {
  const cwd = await mkdtemp(join(tmpdir(), 'mreg-main-'));
  dirs.push(cwd);
  if (dotenv !== undefined) await writeFile(join(cwd, '.env'), dotenv);
  const run = spawnServer(['--import', TSX_IMPORT, MAIN], env, cwd);
  running.push(run);
  return run;
}

async function serverEnv() {
  const target = await createDatabaseTarget();
  targets.push(target);
  return { MREG_PORT: '0', MREG_DATA_DIR: target.dataDir, MREG_DATABASE_URL: target.databaseUrl };
}

describe('main', () => {
  it('stops before listening on a bad value, one line per problem, exit code 1', async () => {
    const run = await runMain({ MREG_FASTMCP_PREFERENCES_STORAGE: 'disk', MREG_PORT: 'http' });
    expect(await run.exit).toBe(1);
    expect(run.stderr).toBe(
      'MREG cannot start: invalid configuration\n' +
        'MREG_PORT: "http" is not a whole number\n' +
        'MREG_FASTMCP_PREFERENCES_STORAGE: "disk" is not one of database, redis, both\n',
    );
    expect(run.stdout.some((l) => l.includes('MREG listening'))).toBe(false);
  });

  it('refuses to serve the development sign-in behind a public address, naming the settings', async () => {
    const run = await runMain({ MREG_PUBLIC_URL: 'https://mreg.example.com', MREG_TRUST_PROXY: '1' });
    expect(await run.exit).toBe(1);
    expect(run.stderr).toBe(
      'MREG cannot start: invalid configuration\n' +
        'MREG_PUBLIC_URL: https://mreg.example.com is not a loopback address, and without Entra ID MREG would serve its development sign-in there; ' +
        'configure Entra ID (MREG_AZURE_TENANT_ID, MREG_AZURE_CLIENT_ID and MREG_AZURE_CLIENT_SECRET), or set MREG_DEV_SIGN_IN=true to serve the development sign-in anyway ' +
        '(anyone who reaches MREG can then sign in as any demo user, admins included)\n',
    );
  });

  it('reads .env from its working directory, with the real environment winning', async () => {
    const run = await runMain({ MREG_PORT: 'http' }, 'MREG_PORT=9999\nMREG_FASTMCP_SESSION_EXPIRE_HOURS=soon\n');
    expect(await run.exit).toBe(1);
    expect(run.stderr).toBe(
      'MREG cannot start: invalid configuration\n' +
        'MREG_PORT: "http" is not a whole number\n' +
        'MREG_FASTMCP_SESSION_EXPIRE_HOURS: "soon" is not a whole number\n',
    );
  });

  it(`starts, serves, and on SIGTERM finishes in-flight work and exits 0 (${databaseMode})`, async () => {
    const run = await runMain(await serverEnv());
    const url = await run.listening();
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    // An idle keep-alive connection must not hold the shutdown up...
    const idle = await new Promise<number>((resolve, reject) => {
      request(`${url}/healthz`, { headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    expect(idle).toBe(200);

    // ...while a request still being received when SIGTERM arrives gets its answer.
    const inFlight = request(`${url}/trpc/config.features`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    const answered = new Promise<number>((resolve, reject) => {
      inFlight.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      inFlight.on('error', reject);
    });
    inFlight.write('{"a":');
    await new Promise((r) => setTimeout(r, 200));

    const started = performance.now();
    run.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    inFlight.end('1}');
    expect(await answered).toBe(405); // config.features is a query: the point is that it was answered
    expect(await run.exit).toBe(0);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(run.stdout.some((l) => l.includes('"Stopped"'))).toBe(true);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('with MREG_SHUTDOWN_DRAIN_SECONDS, drains on SIGTERM: readiness false at once, requests still answered (closing their connections), then exits 0', async () => {
    const run = await runMain({ ...(await serverEnv()), MREG_SHUTDOWN_DRAIN_SECONDS: '2' });
    const url = await run.listening();
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const signalled = performance.now();
    run.child.kill('SIGTERM');
    await expect.poll(async () => (await fetch(`${url}/readyz`)).status, { interval: 50, timeout: 1000 }).toBe(503);
    const readiness = await fetch(`${url}/readyz`);
    expect(await readiness.json()).toEqual({ status: 'stopping' });
    const served = await fetch(`${url}/trpc/config.features`);
    expect(served.status).toBe(200);
    expect(served.headers.get('connection')).toBe('close');
    expect(await run.exit).toBe(0);
    expect(performance.now() - signalled).toBeGreaterThanOrEqual(2000);
    expect(run.stdout.some((l) => l.includes(`"msg":${JSON.stringify(DRAINING)}`))).toBe(true);
  });

  it('refuses a second server on the same embedded data directory with a clear message', async () => {
    const env = { ...(await serverEnv()), MREG_DATABASE_URL: undefined };
    const first = await runMain(env);
    await first.listening();
    const second = await runMain(env);
    expect(await second.exit).toBe(1);
    expect(second.stderr).toContain(
      `MREG cannot start: MREG_DATA_DIR ${env.MREG_DATA_DIR} is in use by another MREG process (pid ${first.child.pid})`,
    );
    expect(await first.stop()).toBe(0);
  });

  it('stops its embedded PostgreSQL when a signal comes while it is still starting', async () => {
    const env = { ...(await serverEnv()), MREG_DATABASE_URL: undefined };
    const run = await runMain(env);
    // As soon as PostgreSQL runs: the migrations and the listener are still to come, or just done.
    let postmaster: number | undefined;
    const deadline = Date.now() + 60_000;
    while (postmaster === undefined && Date.now() < deadline && run.child.exitCode === null) {
      postmaster = postmasterPid(join(env.MREG_DATA_DIR, 'postgres', 'data'));
      if (postmaster === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    expect(postmaster).toBeGreaterThan(0);
    run.child.kill('SIGINT');
    expect([0, 1]).toContain(await run.exit);
    await vi.waitFor(() => expect(isAlive(postmaster!)).toBe(false), { timeout: 15_000, interval: 100 });
  });

  it(`keeps sessions and the development provider's signing key across a restart (${databaseMode})`, async () => {
    const env = { ...(await serverEnv()), MREG_PORT: String(await freePort()) };
    const first = await runMain(env);
    const url = await first.listening();
    const jwks = await (await fetch(`${url}/dev-idp/jwks`)).json();
    const { token } = await signInAs(url, 'uma@contoso.test');
    expect(await first.stop()).toBe(0);

    const second = await runMain(env);
    expect(await second.listening()).toBe(url);
    expect(await (await fetch(`${url}/dev-idp/jwks`)).json()).toEqual(jwks);
    const client = new CookieClient({ cookie: `mreg_session=${token}` });
    const me = await trpcQuery(client, url, 'auth.user');
    expect((me.body.result?.data as { user: { email: string } }).user.email).toBe('uma@contoso.test');
    // And a new sign-in works with the same keys and the seeded directory.
    expect((await signInAs(url, 'vic@fabrikam.test')).callback.status).toBe(303);
    expect(await second.stop()).toBe(0);
  });
});
