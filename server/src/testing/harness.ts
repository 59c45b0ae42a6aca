import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import type { Cache } from '../cache/cache';
import { createCache } from '../cache/create';
import { parseSettings, type Settings } from '../config';
import { openDatabase, type Database } from '../db/database';
import type { Identity } from '../identity';
import type { Clock } from '../lib/clock';
import type { CleanupSchedule } from '../modules/sessions/sessions.cleanup';
import type { RegistryService } from '../modules/registry/registry.runtime';
import type { AuditBuffer } from '../modules/audit/audit.buffer';
import { loopbackOnlyFetch, type OutboundFetch } from '../identity/network';
import { createSignInClient, type ProviderDescription } from '../identity/sign-in-client';
import { createLogger } from '../logger';
import { listen, serveApp } from '../server';
import type { Transport } from './cookie-client';
import { createScratchDatabase } from './databases';

/**
 * Integration-test plumbing. By default the database is the run's embedded PostgreSQL (started by
 * global-setup.ts) and the cache is in-process; MREG_TEST_DATABASE_URL and MREG_TEST_REDIS_URL
 * switch to real servers. Either way each test file gets a database of its own and a Redis key
 * namespace of its own.
 */
export const testDatabaseUrl = process.env.MREG_TEST_DATABASE_URL;
export const testRedisUrl = process.env.MREG_TEST_REDIS_URL;
export const databaseMode = testDatabaseUrl ? 'external PostgreSQL' : 'embedded PostgreSQL';
/** The server the scratch databases are made on. */
export const adminDatabaseUrl = () => testDatabaseUrl ?? inject('embeddedPostgresUrl');

export const uniqueName = (prefix = inject('runId')) => `${prefix}_${randomBytes(4).toString('hex')}`;

export interface DatabaseTarget {
  /** A fresh database on the test PostgreSQL. */
  databaseUrl: string;
  /** A fresh directory for MREG_DATA_DIR. */
  dataDir: string;
  drop(): Promise<void>;
}

export async function createDatabaseTarget(): Promise<DatabaseTarget> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mreg-test-'));
  const scratch = await createScratchDatabase(adminDatabaseUrl(), uniqueName());
  return {
    databaseUrl: scratch.url,
    dataDir,
    async drop() {
      await scratch.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The database of `target`, opened as the server opens it (not migrated). */
export function openTestDatabase(target: DatabaseTarget, logger = captureLogger().logger): Promise<Database> {
  const { databaseUrl, dataDir } = target;
  return openDatabase({ databaseUrl, dataDir, statementTimeoutMs: testSettings().databaseStatementTimeoutMs, logger });
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

export function testCache(redisUrl = testRedisUrl, logger = captureLogger().logger, namespace = uniqueName()): Promise<Cache> {
  return createCache({ redisUrl, logger, namespace });
}

export interface TestApp {
  url: string;
  db: Database;
  /** The PostgreSQL database the app uses. */
  databaseUrl: string;
  cache: Cache;
  /** The cache's key namespace: another instance given it shares this one's Redis keys. */
  cacheNamespace: string;
  settings: Settings;
  identity: Identity;
  /** The origin people use: `url`, or `publicOrigin` when given. */
  publicOrigin: string;
  /** For a CookieClient: how a request to `publicOrigin` reaches the listener. */
  transport: Transport;
  /** Every outbound request the app's sign-in made; anything but loopback was refused. */
  outbound: ReturnType<typeof loopbackOnlyFetch>;
  /** The periodic session clean-up, to run at once. */
  cleanup: CleanupSchedule;
  /** The registry's health loop (runOnce to check the due servers now) and list_changed watchers. */
  registry: RegistryService;
  logs: string[];
  /** Tool calls on their way to the audit log: flush() to write them now. */
  toolCalls: AuditBuffer;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  webDir?: string;
  /** Connect to this URL instead of a fresh test database (for example through a TcpProxy). */
  databaseUrl?: string;
  redisUrl?: string;
  /**
   * Serve as if behind a TLS-terminating proxy at this origin (say https://mreg.test): sets
   * MREG_PUBLIC_URL and MREG_TRUST_PROXY=1; `transport` and the app's own outbound fetch reach the
   * listener in its place, with X-Forwarded-Proto and X-Forwarded-Host as the proxy would send.
   */
  publicOrigin?: string;
  /** Sign in against this provider instead of the development one (see forged-provider.ts). */
  signInProvider?: ProviderDescription;
  /** The time for session rules (see lib/clock.ts manualClock). */
  clock?: Clock;
  /**
   * Another instance of an app already running: share its database and cache. This instance has a
   * pool of its own, and a Redis connection of its own; the in-process cache lives in one process,
   * so there it shares the very object.
   */
  sameStoresAs?: TestApp;
  /** What the app gets in place of its cache (a wrapper that fails on purpose); the harness closes the cache itself. */
  wrapCache?: (cache: Cache) => Cache;
}

/** The real app on a loopback port, with a fresh database, as main.ts would start it. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const other = options.sameStoresAs;
  const sharedCache = other && other.cache.kind === 'memory' ? other.cache : undefined;
  const given = options.databaseUrl ?? other?.databaseUrl;
  const target = given ? undefined : await createDatabaseTarget();
  const databaseUrl = given ?? target!.databaseUrl;
  const dataDir = target?.dataDir ?? (await mkdtemp(join(tmpdir(), 'mreg-test-')));
  const { logger, lines } = captureLogger();
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  closers.push(() => (target ? target.drop() : rm(dataDir, { recursive: true, force: true })));
  try {
    // The development provider's keys stay in this test's own directory.
    const proxied = options.publicOrigin ? { MREG_PUBLIC_URL: options.publicOrigin, MREG_TRUST_PROXY: '1' } : {};
    const settings = testSettings({ MREG_DATA_DIR: dataDir, ...proxied, ...options.env });
    const db = await openDatabase({ databaseUrl, dataDir, statementTimeoutMs: settings.databaseStatementTimeoutMs, logger });
    closers.push(() => db.close());
    await db.migrate();
    const cacheNamespace = other?.cacheNamespace ?? uniqueName();
    // MREG_REDIS_SENTINELS in `env`: the cache asks those sentinels, as the server would.
    const ownCache =
      sharedCache ??
      (settings.redisSentinel
        ? await createCache({ redisUrl: settings.redisUrl, sentinel: settings.redisSentinel, logger, namespace: cacheNamespace })
        : await testCache(options.redisUrl ?? testRedisUrl, logger, cacheNamespace));
    if (!sharedCache) closers.push(() => ownCache.close());
    const cache = options.wrapCache?.(ownCache) ?? ownCache;
    const listener = await listen(0, '127.0.0.1', { maxConnections: settings.maxConnections, logger });
    closers.push(() => {
      listener.server.closeAllConnections();
      return new Promise((resolve) => listener.server.close(resolve));
    });
    const listenerOrigin = `http://127.0.0.1:${listener.port}`;
    const transport = proxyTransport(options.publicOrigin, listenerOrigin);
    // Nothing may leave this machine: msal and jose get a fetch that refuses every other host, and
    // requests to the public origin go through the "proxy" first, as they would in production.
    const outbound = loopbackOnlyFetch();
    const viaProxy: OutboundFetch = (url, init) => {
      const { url: target, headers } = transport(url);
      return outbound.fetch(target, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } });
    };
    const provider = options.signInProvider;
    const { settings: effective, identity, cleanup, registry, gateway } = await serveApp(listener, {
      settings,
      db,
      cache,
      logger,
      webDir: options.webDir ?? join(tmpdir(), 'mreg-no-web'),
      outbound: viaProxy,
      clock: options.clock,
      identity: provider
        ? (s) => ({
            client: createSignInClient({ provider, redirectUri: new URL('/auth/callback', s.publicUrl).href, outbound: viaProxy, logger }),
            devProvider: undefined,
          })
        : undefined,
    });
    closers.push(() => cleanup.stop());
    closers.push(() => registry.stop());
    closers.push(() => gateway.close());
    return {
      url: listenerOrigin,
      databaseUrl,
      cacheNamespace,
      publicOrigin: options.publicOrigin ?? listenerOrigin,
      transport,
      db,
      cache,
      settings: effective,
      identity,
      outbound,
      cleanup,
      registry,
      logs: lines,
      toolCalls: gateway.toolCalls,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A TLS-terminating proxy in miniature: `publicOrigin` URLs go to the listener as https requests. */
function proxyTransport(publicOrigin: string | undefined, listenerOrigin: string): Transport {
  return (url): ReturnType<Transport> => {
    if (!publicOrigin || !url.startsWith(publicOrigin)) return { url, headers: {} };
    return {
      url: listenerOrigin + url.slice(publicOrigin.length),
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': new URL(publicOrigin).host },
    };
  };
}
