import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { createApp } from './app';
import type { Cache } from './cache/cache';
import { createCache } from './cache/create';
import type { Settings } from './config';
import { describeDatabase, openDatabase, type Database } from './db/database';
import { createIdentity, DEV_IDP_PATH, type Identity } from './identity';
import type { OutboundFetch } from './identity/network';
import { endStandingStreams, newLifecycle, type Lifecycle } from './http/lifecycle';
import { metricsListener } from './http/metrics';
import { systemClock, type Clock } from './lib/clock';
import { createMetrics, type Metrics } from './metrics/metrics';
import { scheduleSessionCleanup, type CleanupSchedule } from './modules/sessions/sessions.cleanup';
import { startGateway, type Gateway } from './modules/gateway';
import { createRegistryRuntime, startRegistryService, type RegistryService } from './modules/registry/registry.runtime';
import { loadSecretKey, secretBox } from './lib/secrets';
import { seedDemoDirectory } from './modules/tenants/demo-seed';

/** Logged when a stop begins with a drain. */
export const DRAINING = 'Draining: /readyz answers 503 while requests are still served (MREG_SHUTDOWN_DRAIN_SECONDS)';

/** In-flight requests get this long after SIGTERM before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 8000;

/** The built SPA: the repo's dist/web, from server/src (tsx) and server/dist (the bundle) alike. */
const WEB_DIR = fileURLToPath(new URL('../../dist/web', import.meta.url));

export interface RunningServer {
  url: string;
  /** The loopback metrics listener's /metrics, or undefined when MREG_METRICS_PORT=off or it could not listen. */
  metricsUrl: string | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Sign-in's outbound requests (the topology tests send Entra ID's to a stand-in on loopback). */
  outbound?: OutboundFetch;
}

/** Opens the database and cache, migrates, and listens. */
export async function startServer(settings: Settings, logger: Logger, { outbound }: StartOptions = {}): Promise<RunningServer> {
  for (const warning of settings.warnings) logger.warn(warning);
  const started = performance.now();
  const db: Database = await openDatabase({
    databaseUrl: settings.databaseUrl,
    dataDir: settings.dataDir,
    statementTimeoutMs: settings.databaseStatementTimeoutMs,
    logger,
  });
  let cache: Cache | undefined;
  let listener: Listener | undefined;
  let metricsServer: Server | undefined;
  try {
    const applied = await db.migrate();
    logger.info(
      {
        database: describeDatabase(settings.databaseUrl, settings.dataDir),
        migrationsApplied: applied,
      },
      'Database ready',
    );
    cache = await createCache({ redisUrl: settings.redisUrl, sentinel: settings.redisSentinel, logger, namespace: settings.redisNamespace });

    // Listen before building the app: with MREG_PORT=0 the public URL (and so the development
    // provider's issuer) is known only once the port is taken.
    listener = await listen(settings.port, settings.host, { maxConnections: settings.maxConnections, logger });
    const { settings: effective, identity, cleanup, metrics, registry, gateway, lifecycle } = await serveApp(listener, { settings, db, cache, logger, webDir: WEB_DIR, outbound });
    const metricsAt = await listenForMetrics(settings.metrics, metrics, logger);
    metricsServer = metricsAt?.server;

    const url = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${listener.port}`;
    logger.info(
      {
        url,
        publicUrl: effective.publicUrl.href,
        cache: cache.kind,
        signIn: identity.client.kind,
        metrics: metricsAt?.url ?? null,
        startMs: Math.round(performance.now() - started),
      },
      'MREG listening',
    );
    const { server } = listener;
    const openCache = cache;
    return {
      url,
      metricsUrl: metricsAt?.url,
      async stop() {
        try {
          if (settings.shutdownDrainMs > 0) {
            // Readiness false first, still serving: the load balancer stops sending work before the listener closes.
            lifecycle.draining = true;
            logger.info({ drainMs: settings.shutdownDrainMs }, DRAINING);
            await new Promise((resolve) => setTimeout(resolve, settings.shutdownDrainMs));
          }
          // The listener stops taking connections at once; in-flight requests finish; the standing
          // streams end now, so that their clients reconnect elsewhere instead of holding the stop.
          const closing = Promise.all([closeServer(server), metricsAt && closeServer(metricsAt.server)]);
          endStandingStreams(lifecycle);
          await closing;
          // Each to its end whatever another does, before the database closes: the audit buffer's last flush among them.
          const stopped = await Promise.allSettled([cleanup.stop(), registry.stop(), gateway.close()]);
          for (const result of stopped) if (result.status === 'rejected') logger.error({ err: result.reason }, 'A part of MREG failed to stop cleanly');
        } finally {
          await openCache.close().finally(() => db.close());
        }
      },
    };
  } catch (error) {
    if (listener) await closeServer(listener.server);
    if (metricsServer) await closeServer(metricsServer);
    await cache?.close().catch(() => {});
    await db.close();
    throw error;
  }
}

/** Loopback only: what the metrics tell (routes, counts, pool use) is for operators, not the public. */
const METRICS_HOST = '127.0.0.1';

/**
 * The metrics listener on 127.0.0.1:MREG_METRICS_PORT, or undefined when off; with MREG_METRICS_TOKEN
 * set, it asks for the token too. A port in use is logged and MREG serves without it: metrics are for
 * watching the service, not a reason to refuse it.
 */
async function listenForMetrics(
  { port, token }: Settings['metrics'],
  metrics: Metrics,
  logger: Logger,
): Promise<{ server: Server; url: string } | undefined> {
  if (port === null) return undefined;
  let listener: Listener;
  try {
    listener = await listen(port, METRICS_HOST);
  } catch (error) {
    logger.error(
      { err: error instanceof Error ? error.message : String(error) },
      `MREG_METRICS_PORT: cannot listen on ${METRICS_HOST}:${port}; serving without the metrics listener (choose another port, 0 for any free one, or off)`,
    );
    return undefined;
  }
  listener.serve(metricsListener(metrics, { token, logger }));
  const url = `http://${METRICS_HOST}:${listener.port}/metrics`;
  logger.info({ url }, 'Metrics listening');
  return { server: listener.server, url };
}

export interface Listener {
  server: Server;
  port: number;
  /** Hands requests to the app; until then they get 503 "Starting". */
  serve(handler: RequestListener): void;
}

/**
 * How long a client may take, in place of Node's defaults (60 s for the headers, 300 s for the
 * request, checked every 30 s), which let a few hundred slow connections sit on the server for minutes.
 */
export const CONNECTION_TIMEOUTS = {
  /** To send the request line and headers, counted from the connection's opening: an idle connection ends here too. */
  headersTimeoutMs: 10_000,
  /**
   * To send the whole request, body included (a 1 MiB avatar needs about 300 kbit/s). The answer's
   * own time is not counted: a future /mcp stream (SSE, a long answer to a complete request) is not
   * cut by this, and will take its own idle limit on its response, not these.
   */
  requestTimeoutMs: 30_000,
  /** A kept-alive connection idle between two requests (Node allows a second more). */
  keepAliveTimeoutMs: 5000,
  /** How often Node looks for connections past the headers or request limit; each lives at most this much longer. */
  checkIntervalMs: 1000,
};

export interface ListenOptions extends Partial<typeof CONNECTION_TIMEOUTS> {
  /** Connections open at once (MREG_MAX_CONNECTIONS); beyond it, new ones are closed unanswered. None when undefined. */
  maxConnections?: number;
  /** Told, at most once a minute, that connections were refused at the cap. */
  logger?: Logger;
}

/** Refused connections are logged at most this often, with how many since the last line. */
const DROP_LOG_INTERVAL_MS = 60_000;

export async function listen(port: number, host: string, options: ListenOptions = {}): Promise<Listener> {
  const { maxConnections, logger, ...timeouts } = options;
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, checkIntervalMs } = { ...CONNECTION_TIMEOUTS, ...timeouts };
  let handler: RequestListener = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"Starting"}');
  };
  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      keepAliveTimeout: keepAliveTimeoutMs,
      connectionsCheckingInterval: checkIntervalMs,
    },
    (req, res) => handler(req, res),
  );
  if (maxConnections !== undefined) {
    server.maxConnections = maxConnections;
    let loggedAt = -Infinity;
    let refused = 0;
    server.on('drop', () => {
      refused++;
      if (!logger || performance.now() - loggedAt < DROP_LOG_INTERVAL_MS) return;
      logger.warn({ refused }, `MREG_MAX_CONNECTIONS (${maxConnections}) reached: new connections are closed unanswered`);
      loggedAt = performance.now();
      refused = 0;
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    serve: (app) => {
      handler = app;
    },
  };
}

export interface ServeAppOptions {
  settings: Settings;
  db: Database;
  cache: Cache;
  logger: Logger;
  webDir: string;
  /** Sign-in's outbound requests (tests hold them to loopback). */
  outbound?: OutboundFetch;
  /** Another sign-in client than the configured one (tests). */
  identity?: (settings: Settings) => Identity;
  /** The time for session rules (tests move it). */
  clock?: Clock;
}

export interface ServedApp {
  /** The settings with the port taken. */
  settings: Settings;
  identity: Identity;
  /** The periodic session clean-up; stop it before closing the database. */
  cleanup: CleanupSchedule;
  /** The registry's health loop and list_changed watchers; stop them before closing the database. */
  registry: RegistryService;
  /** What /metrics reports, for the metrics listener. */
  metrics: Metrics;
  /** /mcp's upstream connections and cancellation channel; close after the listener. */
  gateway: Gateway;
  /** Set to draining when the instance stops: /readyz then answers 503. */
  lifecycle: Lifecycle;
}

/**
 * Start-up once the port is taken: the public URL with that port, sign-in (and the development
 * provider with its demo directory), then the app behind the listener. The tests start this way too.
 */
export async function serveApp(listener: Listener, options: ServeAppOptions): Promise<ServedApp> {
  const { db, cache, logger, webDir, outbound, clock = systemClock } = options;
  const settings = withListeningPort(options.settings, listener.port);
  const identity = options.identity?.(settings) ?? (await createIdentity({ settings, logger, outbound }));
  if (identity.devProvider) {
    await seedDemoDirectory(db.orm.em.fork());
    if (settings.devSignIn === 'open') {
      logger.warn(
        { publicUrl: settings.publicUrl.origin, host: settings.host },
        `MREG_DEV_SIGN_IN=true: the development sign-in is served at ${new URL(DEV_IDP_PATH, settings.publicUrl).href}, and ANYONE WHO REACHES MREG CAN SIGN IN AS ANY DEMO USER, ADMINS INCLUDED. Configure Entra ID (MREG_AZURE_TENANT_ID, MREG_AZURE_CLIENT_ID, MREG_AZURE_CLIENT_SECRET) before real people or data come near it`,
      );
    }
  }
  const metrics = createMetrics({ settings, db, cache, clock, logger });
  const secretKey = await loadSecretKey(settings.secretKey, settings.dataDir);
  if (secretKey.source !== 'MREG_SECRET_KEY') {
    logger.info(
      { file: join(settings.dataDir, 'secret.key'), made: secretKey.source === 'new file' },
      'Upstream secrets are encrypted under the key in MREG_DATA_DIR/secret.key (set MREG_SECRET_KEY to share one between instances)',
    );
  }
  const runtime = createRegistryRuntime(settings, secretBox(secretKey.key), metrics);
  const gateway = startGateway({ em: db.orm.em, cache, logger, settings, registry: runtime, metrics });
  const lifecycle = newLifecycle();
  listener.serve(createApp({ settings, db, cache, logger, identity, webDir, clock, metrics, registry: runtime, gateway, lifecycle }));
  const cleanup = scheduleSessionCleanup({
    em: db.orm.em,
    clock,
    lifetime: settings.sessionLifetime,
    auditRetentionDays: settings.audit.retentionDays,
    intervalSeconds: settings.fastmcp.sessionCleanupIntervalSeconds,
    logger,
  });
  const registry = startRegistryService({ em: db.orm.em, runtime, settings, clock, logger });
  // A change saved here shows in this instance's /mcp at once (others within a second).
  const followServers = runtime.serversChanged;
  runtime.serversChanged = () => {
    gateway.views.forget();
    followServers();
  };
  return { settings, identity, cleanup, metrics, registry, gateway, lifecycle };
}

/** With MREG_PORT=0 and no MREG_PUBLIC_URL, the public URL names the port actually taken. */
export function withListeningPort(settings: Settings, port: number): Settings {
  if (settings.port !== 0 || settings.publicUrl.port !== '0') return settings;
  const publicUrl = new URL(settings.publicUrl);
  publicUrl.port = String(port);
  return { ...settings, publicUrl };
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
