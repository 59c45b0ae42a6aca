import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { createApp } from './app';
import { createCache, type Cache } from './cache/cache';
import type { Settings } from './config';
import { openDatabase, redactUrl, type Database } from './db/database';

/** In-flight requests get this long after SIGTERM before their connections are cut. */
const SHUTDOWN_GRACE_MS = 8000;

/** The built SPA: the repo's dist/web, from server/src (tsx) and server/dist (the bundle) alike. */
const WEB_DIR = fileURLToPath(new URL('../../dist/web', import.meta.url));

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

/** Opens the database and cache, migrates, and listens. */
export async function startServer(settings: Settings, logger: Logger): Promise<RunningServer> {
  for (const warning of settings.warnings) logger.warn(warning);
  const started = performance.now();
  const db: Database = await openDatabase({
    databaseUrl: settings.databaseUrl,
    dataDir: settings.dataDir,
    logger,
  });
  let cache: Cache | undefined;
  try {
    const applied = await db.migrate();
    logger.info(
      {
        database: settings.databaseUrl ? redactUrl(settings.databaseUrl) : `embedded PGlite in ${settings.dataDir}`,
        migrationsApplied: applied,
      },
      'Database ready',
    );
    cache = await createCache({ redisUrl: settings.redisUrl, logger });
    const app = createApp({ settings, db, cache, logger, webDir: WEB_DIR });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(settings.port, settings.host, (error?: Error) => (error ? reject(error) : resolve(s)));
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}`;
    logger.info(
      { url, publicUrl: settings.publicUrl.href, cache: cache.kind, startMs: Math.round(performance.now() - started) },
      'MREG listening',
    );
    const openCache = cache;
    return {
      url,
      async stop() {
        try {
          await closeServer(server);
        } finally {
          await openCache.close().finally(() => db.close());
        }
      },
    };
  } catch (error) {
    await cache?.close().catch(() => {});
    await db.close();
    throw error;
  }
}

/** Stops accepting, lets in-flight requests finish, then cuts whatever is left. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
