import { execFile, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLogger } from '../testing/harness';
import { APP_DATABASE, APP_ROLE, lockDataDir, openEmbeddedDatabase, type EmbeddedDatabase } from './embedded';
import { CLUSTER_USER, postgresBinDir } from './cluster-user';
import { startCluster } from './postgres-cluster';

/**
 * The embedded PostgreSQL that MREG runs when no MREG_DATABASE_URL is given: who can reach it, who
 * runs it, where its files are, and the lock that keeps a second MREG off its data directory. Each
 * test runs its own cluster, in both CI modes.
 */

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const opened: EmbeddedDatabase[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const db of opened.splice(0)) await db.close().catch(() => {});
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mreg-embedded-'));
  dirs.push(dir);
  return dir;
}

async function open(dataDir: string, logger = captureLogger().logger): Promise<EmbeddedDatabase> {
  const db = await openEmbeddedDatabase(dataDir, logger);
  opened.push(db);
  return db;
}

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
const ownerOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

describe('the embedded PostgreSQL', () => {
  it(`runs ${isRoot ? `as the OS user ${CLUSTER_USER}, under a root-only (0700) parent` : 'as this user'}, with its files under the data directory`, async () => {
    // A data directory whose parents the cluster's user cannot enter, as in a clone under /root or
    // under `mktemp -d` (mkdtemp makes 0700 directories owned by this user).
    const parent = await tempDir();
    mkdirSync(join(parent, 'home', 'person'), { recursive: true, mode: 0o700 });
    const dataDir = join(parent, 'home', 'person', '.data');
    const db = await open(dataDir);
    expect(mode(parent)).toBe('700');

    const [row] = await query<{ data_directory: string; version: string }>(
      db.cluster.url(),
      `select current_setting('data_directory') as data_directory, version()`,
    );
    expect(row!.data_directory).toBe(join(dataDir, 'postgres', 'data'));
    expect(row!.version).toMatch(/^PostgreSQL 17\./);
    const pid = db.cluster.pid!;
    if (isRoot) {
      const { stdout } = await run('id', ['-u', CLUSTER_USER]);
      expect(ownerOf(pid)).toBe(Number(stdout.trim()));
    } else {
      expect(ownerOf(pid)).toBe(process.getuid!());
    }
  });

  it(`runs from binaries under a 0700 parent too (a clone under /root or \`mktemp -d\`)${isRoot ? `, copied once where ${CLUSTER_USER} can reach them` : ''}`, async () => {
    const clone = await tempDir();
    const installed = postgresBinDir();
    const packageDir = join(installed, '..', '..');
    const copied = join(clone, 'node_modules', 'linux-x64');
    cpSync(packageDir, copied, { recursive: true, verbatimSymlinks: true });
    // A binaries home of this test's own, in a folder anyone may enter (as /var/lib is).
    const shared = await tempDir();
    chmodSync(shared, 0o755);
    const binariesHome = join(shared, 'mreg-postgres');
    const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
    const home = join(binariesHome, `${process.platform}-${process.arch}-${version}`);
    const start = async () => {
      const { logger, lines } = captureLogger();
      const cluster = await startCluster({ root: join(clone, '.data', 'postgres'), logger, binDir: join(copied, 'native', 'bin'), binariesHome });
      try {
        expect(await query(cluster.url(), 'select 1 as one')).toEqual([{ one: 1 }]);
        return { executable: readFileSync(`/proc/${cluster.pid}/cmdline`, 'utf8').split('\0')[0]!, copiedNow: lines.some((l) => l.includes('copying them')) };
      } finally {
        await cluster.stop();
      }
    };
    const first = await start();
    if (isRoot) {
      expect(first).toEqual({ executable: join(home, 'bin', 'postgres'), copiedNow: true });
      expect(statSync(home).uid).toBe(0);
      expect([mode(binariesHome), mode(home), mode(join(home, 'bin', 'postgres'))]).toEqual(['755', '755', '755']);
      // Once copied, later starts use the copy.
      expect(await start()).toEqual({ executable: join(home, 'bin', 'postgres'), copiedNow: false });
      // A copy someone else could have changed is refused, not run.
      chmodSync(join(home, 'bin', 'postgres'), 0o775);
      await expect(start()).rejects.toThrow(`${join(home, 'bin', 'postgres')} must belong to root and be writable by root alone`);
    } else {
      expect(first).toEqual({ executable: join(copied, 'native', 'bin', 'postgres'), copiedNow: false });
      expect(existsSync(binariesHome)).toBe(false);
    }
  });

  it('connects MREG as a role that is no superuser, in a database of its own', async () => {
    const db = await open(join(await tempDir(), '.data'));
    const url = new URL(db.url);
    expect([url.username, url.pathname]).toEqual([APP_ROLE, `/${APP_DATABASE}`]);
    expect(await query(db.url, `select rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user`)).toEqual([
      { rolsuper: false, rolcreaterole: false, rolcreatedb: false },
    ]);
    // What a superuser could do with the cluster user's rights: read a file, run a program.
    await expect(query(db.url, `select pg_read_file('/etc/hostname')`)).rejects.toThrow(/permission denied/);
    await expect(query(db.url, `create temp table t (line text); copy t from program 'id'`)).rejects.toThrow(/permission denied|must be superuser/);
    // And it can do what migrations need in its own database.
    await query(db.url, 'create table mine (id int primary key); drop table mine');
  });

  it('is reachable by MREG alone: a Unix socket in a 0700 directory, no TCP port, and a password', async () => {
    const dataDir = join(await tempDir(), '.data');
    const db = await open(dataDir);
    const runDir = join(dataDir, 'postgres', 'run');
    expect(db.cluster.connection.host).toBe(runDir);
    expect(mode(runDir)).toBe('700');
    expect(mode(join(runDir, '.s.PGSQL.5432'))).toBe('700');
    expect(mode(join(dataDir, 'postgres'))).toBe(isRoot ? '711' : '700');
    expect(mode(join(dataDir, 'postgres', 'password'))).toBe('600');
    expect(mode(join(dataDir, 'postgres', 'app-password'))).toBe('600');
    expect(mode(join(dataDir, 'postgres', 'data'))).toBe('700');
    expect(existsSync(join(dataDir, 'postgres', 'initdb-password'))).toBe(false);
    const [settings] = await query<{ listen: string; permissions: string }>(
      db.url,
      `select current_setting('listen_addresses') as listen, current_setting('unix_socket_permissions') as permissions`,
    );
    expect(settings).toEqual({ listen: '', permissions: '0700' });

    // The right socket with a wrong password is refused.
    const wrong = new URL(db.url);
    wrong.password = 'guess';
    await expect(query(wrong.toString(), 'select 1')).rejects.toThrow(/password authentication failed/);

    // Another OS user cannot even open the socket.
    if (isRoot) {
      const script = `require('net').connect({ path: ${JSON.stringify(join(runDir, '.s.PGSQL.5432'))} }).on('error', (e) => { console.log(e.code); process.exit(0); }).on('connect', () => { console.log('connected'); process.exit(0); })`;
      const { stdout } = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script]);
      expect(stdout.trim()).toBe('EACCES');
    } else {
      // This user owns the folders: no one else may enter them.
      expect([statSync(runDir).uid, statSync(join(dataDir, 'postgres')).uid]).toEqual([process.getuid!(), process.getuid!()]);
    }
  });

  it('puts its socket in a private folder under /tmp when the path would be too long, still with no TCP port', async () => {
    const dataDir = join(await tempDir(), 'a-directory-name-long-enough'.repeat(3), '.data');
    const { logger, lines } = captureLogger();
    const db = await open(dataDir, logger);
    const socketDir = db.cluster.connection.host;
    expect(socketDir).toMatch(/^\/tmp\/mreg-pg-/);
    expect(mode(socketDir)).toBe('700');
    expect(lines.some((l) => l.includes('too long for a Unix socket'))).toBe(true);
    const [settings] = await query<{ listen: string }>(db.url, `select current_setting('listen_addresses') as listen`);
    expect(settings!.listen).toBe('');
    await db.close();
    expect(existsSync(socketDir)).toBe(false);
  });

  it('says where the files of the earlier embedded engine (PGlite) are, and leaves them alone', async () => {
    const dataDir = join(await tempDir(), '.data');
    mkdirSync(join(dataDir, 'pglite', 'base'), { recursive: true });
    writeFileSync(join(dataDir, 'pglite', 'PG_VERSION'), '17\n');
    const { logger, lines } = captureLogger();
    await open(dataDir, logger);
    const notice = lines.map((l) => JSON.parse(l) as { level: number; msg: string; oldFiles?: string }).find((l) => l.oldFiles);
    expect(notice).toMatchObject({ level: 40, oldFiles: join(dataDir, 'pglite') });
    expect(notice!.msg).toContain('The embedded database is now PostgreSQL, no longer PGlite');
    expect(readFileSync(join(dataDir, 'pglite', 'PG_VERSION'), 'utf8')).toBe('17\n');
  });

  it('refuses to create a cluster over files that are not one, and leaves them alone', async () => {
    const dataDir = join(await tempDir(), '.data');
    mkdirSync(join(dataDir, 'postgres', 'data'), { recursive: true });
    writeFileSync(join(dataDir, 'postgres', 'data', 'notes.txt'), 'mine');
    await expect(open(dataDir)).rejects.toThrow(`${join(dataDir, 'postgres', 'data')} holds files but no PostgreSQL cluster (no PG_VERSION)`);
    expect(readFileSync(join(dataDir, 'postgres', 'data', 'notes.txt'), 'utf8')).toBe('mine');
    // The refused start let go of the data directory.
    expect(() => lockDataDir(dataDir)()).not.toThrow();
  });

  it('keeps what was written across a stop and a start, and stops its processes on close', async () => {
    const dataDir = join(await tempDir(), '.data');
    const first = await open(dataDir);
    await query(first.url, 'create table kept (n int); insert into kept values (42)');
    const pid = first.cluster.pid!;
    await first.close();
    expect(first.cluster.pid).toBeUndefined();
    expect(() => process.kill(pid, 0)).toThrow();
    const second = await open(dataDir);
    expect(await query(second.url, 'select n from kept')).toEqual([{ n: 42 }]);
  });
});

describe('embedded data directory lock', () => {
  let dataDir: string;
  let embedded: EmbeddedDatabase | undefined;
  const openEmbedded = (dir: string) => openEmbeddedDatabase(dir, captureLogger().logger);
  beforeEach(async () => {
    dataDir = await tempDir();
    embedded = await openEmbedded(dataDir);
  });
  afterEach(async () => {
    await embedded?.close();
  });

  it('refuses a second opener in this process, naming the directory and the holder', async () => {
    await expect(openEmbedded(dataDir)).rejects.toThrow(
      `MREG_DATA_DIR ${dataDir} is in use by another MREG process (pid ${process.pid})`,
    );
  });

  it('refuses a second process and frees the directory on close', async () => {
    const script = `import('${new URL('./embedded.ts', import.meta.url).pathname}').then(m => { m.lockDataDir(process.argv[1]); console.log('locked'); }).catch(e => { console.error(e.message); process.exit(1); })`;
    const run = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '-e', script, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('close', (code) => resolve({ code, out }));
      });
    const refused = await run();
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`MREG_DATA_DIR ${dataDir} is in use by another MREG process`);
    await embedded!.close();
    embedded = undefined;
    const taken = await run();
    expect(taken.code).toBe(0);
    expect(taken.out).toContain('locked');
    // That process has exited: its lock is stale and is taken over.
    embedded = await openEmbedded(dataDir);
  });

  it('takes over a lock naming its own pid that it does not hold (a restart that reused the pid)', async () => {
    await embedded!.close();
    embedded = undefined;
    writeFileSync(join(dataDir, 'mreg.lock'), `${process.pid}\n`);
    embedded = await openEmbedded(dataDir);
    await expect(openEmbedded(dataDir)).rejects.toThrow('is in use by another MREG process');
  });

  it('leaves a lock it does not hold in place when releasing', async () => {
    await embedded!.close();
    embedded = undefined;
    const release = lockDataDir(dataDir);
    writeFileSync(join(dataDir, 'mreg.lock'), '1\n'); // pid 1 is alive: someone else's lock now
    release();
    expect(readFileSync(join(dataDir, 'mreg.lock'), 'utf8')).toBe('1\n');
    expect(() => lockDataDir(dataDir)).toThrow('(pid 1)');
    rmSync(join(dataDir, 'mreg.lock'));
    embedded = await openEmbedded(dataDir);
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    await embedded!.close();
    embedded = undefined;
    writeFileSync(join(dataDir, 'mreg.lock'), '999999999\n');
    const release = lockDataDir(dataDir);
    expect(readFileSync(join(dataDir, 'mreg.lock'), 'utf8')).toBe(`${process.pid}\n`);
    release();
    embedded = await openEmbedded(dataDir);
  });
});
