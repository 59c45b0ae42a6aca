import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes';

/**
 * A PostgreSQL of the test's own, on a free loopback port, for tests that stop and kill the
 * database: never the shared instance, which other runs use. PostgreSQL refuses to run as root, so
 * initdb and postgres run as the `postgres` OS user, on a data directory made for it.
 */

/** Debian's server binaries, of whichever major version the machine has (the newest when several). */
function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql', { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d+$/.test(entry.name))
    .map((entry) => Number(entry.name))
    .sort((a, b) => b - a);
  if (versions.length === 0) throw new Error('No PostgreSQL server in /usr/lib/postgresql: apt-get install -y postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}
const BIN = postgresBin();
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

const run = promisify(execFile);

export interface ThrowawayPostgres {
  port: number;
  /** Trust authentication on loopback: no password. */
  url: string;
  /** The postmaster's PID while it runs. */
  readonly pid: number | undefined;
  /** Fast shutdown (SIGINT): the postmaster disconnects clients, checkpoints and exits. */
  stop(): Promise<void>;
  /** SIGKILL to the postmaster, as a crash would; its backends exit once they notice. */
  kill(): Promise<void>;
  /** Again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it if it runs and removes the data directory. */
  cleanup(): Promise<void>;
}

interface Running {
  /** `runuser`, which forks the postmaster and waits for it. */
  child: ChildProcess;
  exit: Promise<unknown>;
  /** The postmaster's own PID, from postmaster.pid once it accepts connections. */
  pid?: number;
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const root = await mkdtemp(join(tmpdir(), 'mreg-pg-'));
  const dataDir = join(root, 'data');
  let running: Running | undefined;
  const port = await freePort();

  const asPostgres = (command: string, args: string[]) => ['-u', 'postgres', '--', join(BIN, command), ...args];

  async function start(deadline = Date.now() + START_TIMEOUT_MS): Promise<void> {
    const child = spawn(
      'runuser',
      asPostgres('postgres', ['-D', dataDir, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off']),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exit = new Promise((resolve) => child.on('exit', resolve));
    const current: Running = { child, exit };
    running = current;
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    // Ready when pg_isready says the server accepts connections, not merely when the port opens
    // (it opens during recovery, when connections are still refused).
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        // After a SIGKILL, the old postmaster's backends hold its shared memory until they notice
        // it is gone (a few ms to a few hundred): the new one refuses to start until then.
        if (Date.now() < deadline && /pre-existing shared memory block|lock file .* already exists/.test(output)) {
          await new Promise((r) => setTimeout(r, 200));
          return start(deadline);
        }
        throw new Error(`postgres exited on start:\n${output}`);
      }
      const ready = await run(join(BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-t', '1']).then(
        () => true,
        () => false,
      );
      if (ready) {
        const pidFile = await readFile(join(dataDir, 'postmaster.pid'), 'utf8');
        current.pid = Number.parseInt(pidFile.split('\n')[0]!, 10);
        return;
      }
      if (Date.now() > deadline) {
        await signal('SIGKILL');
        throw new Error(`postgres did not accept connections on ${port} within ${START_TIMEOUT_MS} ms:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Signals go to the postmaster's own PID: it is runuser's child, and runuser passes SIGINT on but
   * cannot pass SIGKILL. runuser exits when the postmaster does.
   */
  async function signal(name: NodeJS.Signals): Promise<void> {
    const current = running;
    if (!current || current.child.exitCode !== null || current.child.signalCode !== null) return;
    const pid = current.pid;
    if (pid !== undefined) process.kill(pid, name);
    else current.child.kill(name);
    const timer = new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS, 'timeout'));
    if ((await Promise.race([current.exit, timer])) === 'timeout') {
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
      current.child.kill('SIGKILL');
      await current.exit;
    }
    running = undefined;
  }

  try {
    await run('chown', ['postgres:postgres', root]);
    await run('runuser', asPostgres('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']), { timeout: 60_000 });
    await start();
  } catch (error) {
    await signal('SIGKILL');
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  return {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    get pid() {
      return running?.pid;
    },
    stop: () => signal('SIGINT'),
    kill: () => signal('SIGKILL'),
    start: () => start(),
    async cleanup() {
      try {
        await signal('SIGINT');
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}
