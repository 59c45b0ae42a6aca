import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { postmasterPid } from '../db/postgres-cluster';
import { isAlive } from '../lib/processes';
import { CookieClient } from '../testing/cookie-client';
import { freePort, spawnServer, TSX_IMPORT, type ServerProcess } from '../testing/processes';
import { signInAs, trpcMutation, trpcQuery } from '../testing/sign-in';

/**
 * Resilience of the embedded PostgreSQL: kill -9 of MREG in the middle of a stream of writes (its
 * PostgreSQL lives on, and the next start must stop it), and kill -9 of PostgreSQL itself under a
 * running MREG. This is about the embedded database alone, so the file runs its own server processes on a data
 * directory of its own in both CI modes, whatever MREG_TEST_DATABASE_URL says (spawnServer passes
 * no MREG_ variable but those given here, so no MREG_DATABASE_URL and no MREG_REDIS_URL).
 * The server runs from source (`node --import tsx`), as in main.int.test.ts: the integration
 * project cannot count on `pnpm build` having run.
 */

const MAIN = new URL('../main.ts', import.meta.url).pathname;
const EMAIL = 'uma@contoso.test';
const PREFERENCE_STREAMS = 3;
/** Writes stream this long before the kill; each stream is sequential, so it is bounded in count too. */
const WRITE_MS = 2500;
const MAX_WRITES_PER_STREAM = 2000;
/** Starting from source compiles it first: seconds when idle, far longer on a busy 2-core CI machine. */
const START_TIMEOUT_MS = 60_000;

const running: ServerProcess[] = [];
const dirs: string[] = [];

afterAll(async () => {
  // By PID, whatever state the test left them in.
  for (const run of running) {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    await run.exit;
  }
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** main.ts as `pnpm start` runs it, in a working directory without .env. */
function startServer(env: Record<string, string>, cwd: string): ServerProcess {
  // Thousands of calls through one session in seconds: MREG_TRPC_RATE_LIMIT's default (600 a minute) would answer most with 429.
  const run = spawnServer(['--import', TSX_IMPORT, MAIN], { MREG_TRPC_RATE_LIMIT: '10000000', ...env }, cwd);
  running.push(run);
  return run;
}

/** The postmaster's PID of the embedded PostgreSQL in MREG_DATA_DIR `dataDir`. */
const clusterPid = (dataDir: string) => postmasterPid(join(dataDir, 'postgres', 'data'));

interface Stream {
  /** Highest value the server acknowledged (200); every lower one was acknowledged before it. */
  acked: number;
  /** Highest value sent: one in flight at the kill may or may not have committed. */
  sent: number;
}

/** Sends `write(1)`, `write(2)`, ... one after the other until one fails (the kill) or time is up. */
async function stream(write: (n: number) => Promise<number>, until: () => boolean): Promise<Stream> {
  const state: Stream = { acked: 0, sent: 0 };
  while (!until() && state.sent < MAX_WRITES_PER_STREAM) {
    const n = ++state.sent;
    let status: number;
    try {
      status = await write(n);
    } catch {
      break; // the connection died with the server
    }
    if (status !== 200) throw new Error(`write ${n} answered ${status} before the kill`);
    state.acked = n;
  }
  return state;
}

describe('embedded PostgreSQL: kill -9 of MREG, and of PostgreSQL (own data directory, in both CI modes)', () => {
  it('keeps every acknowledged write, whole, across a kill -9 and restart; a second server on the directory is refused', { timeout: 180_000 }, async () => {
    const dataDir = await tempDir('mreg-kill-data-');
    const cwd = await tempDir('mreg-kill-cwd-');
    // A fixed port, so that the restarted server has the same origin (the CSRF check compares it).
    const env = { MREG_PORT: String(await freePort()), MREG_DATA_DIR: dataDir };

    const first = startServer(env, cwd);
    const url = await first.listening(START_TIMEOUT_MS);
    const { token } = await signInAs(url, EMAIL);
    const client = () => new CookieClient({ cookie: `mreg_session=${token}` });
    const orphan = clusterPid(dataDir)!;

    // Every write sets two values together: finding them different after the restart would be a
    // half-applied write. Values only grow, so finding at least the last acknowledged value means
    // that one and every acknowledged write before it survived (none was rolled back).
    let killed = false;
    const started = performance.now();
    const until = () => killed || performance.now() - started > 30_000;
    const writers = [
      ...Array.from({ length: PREFERENCE_STREAMS }, (_, s) => {
        const c = client();
        return stream(async (n) => (await trpcMutation(c, url, 'auth.updatePreferences', { category: 'kill', preferences: { [`s${s}a`]: n, [`s${s}b`]: n } })).status, until);
      }),
      (() => {
        const c = client();
        return stream(async (n) => (await trpcMutation(c, url, 'auth.updateProfile', { displayName: `Writer ${n}`, bio: `Bio of writer ${n}` })).status, until);
      })(),
    ];
    await new Promise((r) => setTimeout(r, WRITE_MS));
    first.child.kill('SIGKILL');
    killed = true;
    await first.exit;
    const streams = await Promise.all(writers);
    const profileStream = streams.at(-1)!;
    // The kill left the lock file behind, naming a dead process: the restart must take it over.
    expect(Number.parseInt(await readFile(join(dataDir, 'mreg.lock'), 'utf8'), 10)).toBe(first.child.pid);
    // Its PostgreSQL outlived it (a child in a process group of its own): the restart must stop it.
    expect(isAlive(orphan), 'the killed MREG\'s PostgreSQL is still running').toBe(true);

    const restartStarted = performance.now();
    const second = startServer(env, cwd);
    expect(await second.listening(START_TIMEOUT_MS)).toBe(url);
    const restartMs = Math.round(performance.now() - restartStarted);
    expect(isAlive(orphan), 'the orphaned PostgreSQL was stopped').toBe(false);
    expect(second.stdout.some((l) => l.includes('Stopping the embedded PostgreSQL that an earlier MREG left running') && l.includes(`"pid":${orphan}`))).toBe(true);
    expect(clusterPid(dataDir)).not.toBe(orphan);

    const preferences = await trpcQuery(client(), url, 'auth.preferences', { category: 'kill' });
    expect(preferences.status).toBe(200);
    const stored = preferences.body.result!.data as Record<string, number>;
    const me = await trpcQuery(client(), url, 'auth.user');
    expect(me.status).toBe(200);
    const profile = (me.body.result!.data as { profile: { displayName: string | null; bio: string | null } }).profile;

    console.log(
      `[embedded-kill] SIGKILL after ${WRITE_MS} ms of writes; acknowledged/sent per stream: ` +
        streams.map((s, i) => `${i < PREFERENCE_STREAMS ? `preferences s${i}` : 'profile'} ${s.acked}/${s.sent}`).join(', ') +
        `; found after restart: ${JSON.stringify(stored)}, profile ${JSON.stringify({ displayName: profile.displayName, bio: profile.bio })}; ` +
        `restart listened after ${restartMs} ms`,
    );

    for (const [s, { acked, sent }] of streams.slice(0, PREFERENCE_STREAMS).entries()) {
      expect(acked, `stream s${s} got no write acknowledged before the kill`).toBeGreaterThan(0);
      const a = stored[`s${s}a`]!;
      expect(stored[`s${s}b`], `s${s}: both values of one write`).toBe(a);
      expect(a).toBeGreaterThanOrEqual(acked);
      expect(a).toBeLessThanOrEqual(sent);
    }
    expect(profileStream.acked).toBeGreaterThan(0);
    const n = Number(/^Writer (\d+)$/.exec(profile.displayName ?? '')?.[1]);
    expect(profile.bio, 'displayName and bio of one write').toBe(`Bio of writer ${n}`);
    expect(n).toBeGreaterThanOrEqual(profileStream.acked);
    expect(n).toBeLessThanOrEqual(profileStream.sent);

    // While the restarted server holds the directory, another one is refused, saying why.
    const third = startServer(env, cwd);
    expect(await third.exit).toBe(1);
    expect(third.stderr).toContain(`MREG_DATA_DIR ${dataDir} is in use by another MREG process (pid ${second.child.pid})`);
    // And the refused start did not disturb the running one.
    expect((await trpcQuery(client(), url, 'auth.user')).status).toBe(200);

    expect(await second.stop()).toBe(0);
    // A clean stop stops PostgreSQL too.
    const last = clusterPid(dataDir);
    expect(last === undefined || !isAlive(last)).toBe(true);
  });

  it('says so on /readyz when its PostgreSQL is killed, answers 503 rather than hang, and recovers at the next start', { timeout: 120_000 }, async () => {
    const dataDir = await tempDir('mreg-pgkill-data-');
    const cwd = await tempDir('mreg-pgkill-cwd-');
    const env = { MREG_PORT: String(await freePort()), MREG_DATA_DIR: dataDir };
    const first = startServer(env, cwd);
    const url = await first.listening(START_TIMEOUT_MS);
    const { token } = await signInAs(url, EMAIL);
    const client = () => new CookieClient({ cookie: `mreg_session=${token}` });
    expect((await trpcMutation(client(), url, 'auth.updatePreferences', { category: 'pgkill', preferences: { kept: 1 } })).status).toBe(200);

    process.kill(clusterPid(dataDir)!, 'SIGKILL');
    await vi.waitFor(
      async () => {
        const readyz = await fetch(`${url}/readyz`);
        expect(readyz.status).toBe(503);
        expect(((await readyz.json()) as { checks: { database: string } }).checks.database).toBe('unavailable');
      },
      { timeout: 10_000, interval: 200 },
    );
    const started = performance.now();
    // A fresh client: no cached session in the way, so the lookup must reach the database.
    const me = await fetch(`${url}/trpc/auth.preferences?input=${encodeURIComponent(JSON.stringify({ category: 'pgkill' }))}`, {
      headers: { cookie: `mreg_session=${token}` },
    });
    expect(me.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(5000);
    await vi.waitFor(() => expect(first.stdout.some((l) => l.includes('The embedded PostgreSQL stopped unexpectedly'))).toBe(true), { timeout: 5000 });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    // A stop with its database gone still ends cleanly; the next start recovers the cluster.
    expect(await first.stop()).toBe(0);
    const second = startServer(env, cwd);
    expect(await second.listening(START_TIMEOUT_MS)).toBe(url);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const preferences = await trpcQuery(client(), url, 'auth.preferences', { category: 'pgkill' });
    expect(preferences.body.result?.data).toEqual({ kept: 1 });
    expect(await second.stop()).toBe(0);
  });
});
