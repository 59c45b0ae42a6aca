import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import { createApp } from '../app';
import { createCache, type Cache } from '../cache/cache';
import { parseSettings, type Settings } from '../config';
import { openDatabase, type Database } from '../db/database';
import { createIdentity, type Identity } from '../identity';
import { seedDemoDirectory } from '../identity/demo-directory';
import { loopbackOnlyFetch } from '../identity/network';
import { createLogger } from '../logger';
import { listen, withListeningPort } from '../server';
import { createScratchDatabase } from './databases';

/**
 * Integration-test plumbing. By default everything is embedded (PGlite in a temporary directory,
 * in-process cache); MREG_TEST_DATABASE_URL and MREG_TEST_REDIS_URL switch to real servers, with a
 * database of its own and a Redis key namespace of its own for each test file.
 */
export const testDatabaseUrl = process.env.MREG_TEST_DATABASE_URL;
export const testRedisUrl = process.env.MREG_TEST_REDIS_URL;
export const databaseMode = testDatabaseUrl ? 'postgresql' : 'pglite';

export const uniqueName = (prefix = inject('runId')) => `${prefix}_${randomBytes(4).toString('hex')}`;

export interface DatabaseTarget {
  /** A fresh PostgreSQL database, or undefined for embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  drop(): Promise<void>;
}

export async function createDatabaseTarget(): Promise<DatabaseTarget> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mreg-test-'));
  if (!testDatabaseUrl) {
    return { databaseUrl: undefined, dataDir, drop: () => rm(dataDir, { recursive: true, force: true }) };
  }
  const scratch = await createScratchDatabase(testDatabaseUrl, uniqueName());
  return {
    databaseUrl: scratch.url,
    dataDir,
    async drop() {
      await scratch.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Settings as the server would parse them, for the test environment. */
export function testSettings(env: Record<string, string | undefined> = {}): Settings {
  return parseSettings({ MREG_ENV: 'test', MREG_PORT: '0', MREG_LOG_LEVEL: 'silent', ...env });
}

/** A logger whose JSON lines a test can read. */
export function captureLogger(level = 'debug') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger(level, stream), lines };
}

export function testCache(redisUrl = testRedisUrl, logger = captureLogger().logger): Promise<Cache> {
  return createCache({ redisUrl, logger, namespace: uniqueName() });
}

export interface TestApp {
  url: string;
  db: Database;
  cache: Cache;
  settings: Settings;
  identity: Identity;
  /** Every outbound request the app's sign-in made; anything but loopback was refused. */
  outbound: ReturnType<typeof loopbackOnlyFetch>;
  logs: string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  webDir?: string;
  /** Connect to this URL instead of a fresh test database (for example through a TcpProxy). */
  databaseUrl?: string;
  /** The connection limit for `databaseUrl`: 1 when it leads to embedded PGlite. */
  poolMax?: number;
  redisUrl?: string;
}

/** The real app on a loopback port, with a fresh database, as main.ts would start it. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const target = options.databaseUrl ? undefined : await createDatabaseTarget();
  const dataDir = target?.dataDir ?? (await mkdtemp(join(tmpdir(), 'mreg-test-')));
  const { logger, lines } = captureLogger();
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  closers.push(() => (target ? target.drop() : rm(dataDir, { recursive: true, force: true })));
  try {
    // Embedded data and the development provider's keys stay in this test's own directory.
    const settings = testSettings({ MREG_DATA_DIR: dataDir, ...options.env });
    const db = await openDatabase({
      databaseUrl: options.databaseUrl ?? target!.databaseUrl,
      dataDir,
      poolMax: options.poolMax,
      logger,
    });
    closers.push(() => db.close());
    await db.migrate();
    const cache = await testCache(options.redisUrl ?? testRedisUrl, logger);
    closers.push(() => cache.close());
    const listener = await listen(0, '127.0.0.1');
    closers.push(() => {
      listener.server.closeAllConnections();
      return new Promise((resolve) => listener.server.close(resolve));
    });
    const effective = withListeningPort(settings, listener.port);
    // Nothing may leave this machine: msal and jose get a fetch that refuses every other host.
    const outbound = loopbackOnlyFetch();
    const identity = await createIdentity({ settings: effective, logger, outbound: outbound.fetch });
    if (identity.devProvider) await seedDemoDirectory(db.orm.em.fork());
    const webDir = options.webDir ?? join(tmpdir(), 'mreg-no-web');
    listener.serve(createApp({ settings: effective, db, cache, logger, identity, webDir }));
    return {
      url: `http://127.0.0.1:${listener.port}`,
      db,
      cache,
      settings: effective,
      identity,
      outbound,
      logs: lines,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
