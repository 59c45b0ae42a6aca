import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CookieClient } from '../testing/cookie-client';
import { freePort, spawnServer, TSX_IMPORT, type ServerProcess } from '../testing/processes';
import { signInAs, trpcMutation, trpcQuery } from '../testing/sign-in';

/**
 * Issue 7, resilience: kill -9 of a server on embedded PGlite in the middle of a stream of writes.
 * This is about the embedded database alone, so the file runs its own server processes on a data
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
  const run = spawnServer(['--import', TSX_IMPORT, MAIN], env, cwd);
  running.push(run);
  return run;
}

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

describe('embedded PGlite only: kill -9 in the middle of writes (own data directory, in both CI modes)', () => {
  it('keeps every acknowledged write, whole, across a kill -9 and restart; a second server on the directory is refused', { timeout: 180_000 }, async () => {
    const dataDir = await tempDir('mreg-kill-data-');
    const cwd = await tempDir('mreg-kill-cwd-');
    // A fixed port, so that the restarted server has the same origin (the CSRF check compares it).
    const env = { MREG_PORT: String(await freePort()), MREG_DATA_DIR: dataDir };

    const first = startServer(env, cwd);
    const url = await first.listening(START_TIMEOUT_MS);
    const { token } = await signInAs(url, EMAIL);
    const client = () => new CookieClient({ cookie: `mreg_session=${token}` });

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

    const restartStarted = performance.now();
    const second = startServer(env, cwd);
    expect(await second.listening(START_TIMEOUT_MS)).toBe(url);
    const restartMs = Math.round(performance.now() - restartStarted);

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
  });
});
