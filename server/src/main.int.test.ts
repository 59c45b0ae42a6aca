import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabaseTarget, databaseMode, type DatabaseTarget } from './testing/harness';

const MAIN = new URL('./main.ts', import.meta.url).pathname;

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string;
  exit: Promise<number | null>;
}

const running: Run[] = [];
const targets: DatabaseTarget[] = [];
afterEach(async () => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
    await run.exit;
  }
  for (const target of targets.splice(0)) await target.drop();
});

/** `main.ts` as its own process, the way `pnpm start` runs the server. */
function runMain(env: Record<string, string | undefined>): Run {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MREG_')));
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...clean, MREG_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = {
    child,
    stdout: [],
    stderr: '',
    exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  let buffered = '';
  child.stdout!.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    run.stdout.push(...lines);
  });
  child.stderr!.on('data', (chunk) => (run.stderr += chunk));
  running.push(run);
  return run;
}

async function listeningUrl(run: Run): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const line = run.stdout.find((l) => l.includes('"MREG listening"'));
    if (line) return JSON.parse(line).url as string;
    if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode}: ${run.stderr}${run.stdout.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('server did not start within 30 s');
}

async function serverEnv() {
  const target = await createDatabaseTarget();
  targets.push(target);
  return { MREG_PORT: '0', MREG_DATA_DIR: target.dataDir, MREG_DATABASE_URL: target.databaseUrl };
}

describe('main', () => {
  it('stops before listening on a bad value, one line per problem, exit code 1', async () => {
    const run = runMain({ MREG_FASTMCP_PREFERENCES_STORAGE: 'disk', MREG_PORT: 'http' });
    expect(await run.exit).toBe(1);
    expect(run.stderr).toBe(
      'MREG cannot start: invalid configuration\n' +
        'MREG_PORT: "http" is not a whole number\n' +
        'MREG_FASTMCP_PREFERENCES_STORAGE: "disk" is not one of database, redis, both\n',
    );
  });

  it(`starts, serves, and on SIGTERM finishes in-flight work and exits 0 (${databaseMode})`, async () => {
    const run = runMain(await serverEnv());
    const url = await listeningUrl(run);
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

  it('refuses a second server on the same embedded data directory with a clear message', async () => {
    const env = { ...(await serverEnv()), MREG_DATABASE_URL: undefined };
    const first = runMain(env);
    await listeningUrl(first);
    const second = runMain(env);
    expect(await second.exit).toBe(1);
    expect(second.stderr).toContain(`MREG cannot start: MREG_DATA_DIR ${env.MREG_DATA_DIR} is in use by another MREG process (pid ${first.child.pid})`);
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
  });
});
