import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import { createApp } from '../app';
import { createCache, type Cache } from '../cache/cache';
import { parseSettings, type Settings } from '../config';
import { openDatabase, type Database } from '../db/database';
import { createLogger } from '../logger';
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
  const settings = testSettings(options.env);
  const { logger, lines } = captureLogger();
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  if (target) closers.push(() => target.drop());
  try {
    const db = await openDatabase({
      databaseUrl: options.databaseUrl ?? target!.databaseUrl,
      dataDir: target?.dataDir ?? settings.dataDir,
      poolMax: options.poolMax,
      logger,
    });
    closers.push(() => db.close());
    await db.migrate();
    const cache = await testCache(options.redisUrl ?? testRedisUrl, logger);
    closers.push(() => cache.close());
    const app = createApp({ settings, db, cache, logger, webDir: options.webDir ?? join(tmpdir(), 'mreg-no-web') });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(s)));
    });
    closers.push(() => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, db, cache, settings, logs: lines, close };
  } catch (error) {
    await close();
    throw error;
  }
}
