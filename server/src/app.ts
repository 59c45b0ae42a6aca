import cookieParser from 'cookie-parser';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from 'pino';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { TRPC_MAX_BATCH_SIZE } from '@mreg/shared';
import type { Cache } from './cache/cache';
import type { Settings } from './config';
import type { Database } from './db/database';
import type { Clock } from './lib/clock';
import type { Metrics } from './metrics/metrics';
import { authRoutes } from './http/auth';
import { avatarRoutes } from './http/avatars';
import { cookiePolicy } from './http/cookies';
import { csrfRefusal } from './http/csrf';
import { appErrors, refuseTrpc } from './http/errors';
import { healthRoutes } from './http/health';
import { closeConnectionsWhileDraining, newLifecycle, trackStandingStreams, type Lifecycle } from './http/lifecycle';
import { requestLogging, securityHeaders } from './http/host-middleware';
import { METRICS_ROUTE, protectedMetrics, requestMetrics } from './http/metrics';
import { DEV_IDP_PATH, type Identity } from './identity';
import { spaRoutes } from './http/spa';
import { trpcBatchLimit, trpcRateLimit } from './http/trpc-limits';
import { contextFactory, requestSessions } from './trpc/context';
import type { RegistryRuntime } from './modules/registry/registry.service';
import { appRouter } from './trpc/router';
import { bearerAuthenticator, requireBearer } from './http/bearer';
import { auditExportRoute } from './http/audit-export';
import { auditScope } from './http/audit-scope';
import { oauthRoutes } from './http/oauth';
import { authenticateAccessToken } from './modules/oauth/oauth.tokens';
import { mcpHostCheck } from './http/mcp-host';
import { mcpPassThroughRoutes, PASS_THROUGH_ROUTE } from './modules/passthrough/passthrough.router';
import { mcpGatewayRoutes } from './http/mcp-gateway';
import { mcpRateLimits, refusedCredentialGuard } from './http/mcp-limits';
import type { Gateway } from './modules/gateway';
import { apiKeyDeps, authenticateApiKey } from './modules/apikeys/apikeys.service';

export interface AppDeps {
  settings: Settings;
  db: Database;
  cache: Cache;
  logger: Logger;
  /** The sign-in client, and the development provider when Entra ID is not configured. */
  identity: Identity;
  /** Directory of the built SPA (index.html and assets/). */
  webDir: string;
  /** The time for session rules; tests move it. */
  clock: Clock;
  metrics: Metrics;
  /** The MCP server registry's upstream policy and secret box. */
  registry: RegistryRuntime;
  /** What /mcp runs on: views of the tenants' servers, upstream connections, calls in flight. */
  gateway: Gateway;
  /** Whether the instance is draining after SIGTERM; a fresh one that is not, when absent. */
  lifecycle?: Lifecycle;
}

/** Largest tRPC request body; larger ones get 413. */
export const TRPC_MAX_BODY_BYTES = 256 * 1024;
/**
 * Deepest JSON a tRPC request body may nest, refused before tRPC sees it, so that nothing after it
 * (schemas, error answers, logs) need cope with thousands of levels, which a recursive walk of the
 * value (JSON.stringify's, say) could not: a 500. The schemas allow far less (preference values: 32).
 */
export const TRPC_MAX_JSON_DEPTH = 64;

/** Whether `value` nests deeper than `limit`, found without recursion. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [next, depth] = pending.pop()!;
    if (next === null || typeof next !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(next)) pending.push([child, depth + 1]);
  }
  return false;
}

/** What a 4xx error from a middleware (body-parser, static files) may tell the client. */
function clientMessage(error: { type?: string; message?: string }): string {
  if (error.type === 'entity.too.large') return `Request body too large; the limit is ${TRPC_MAX_BODY_BYTES} bytes`;
  return error.message ?? 'Bad request';
}

/** A tRPC body that is not JSON: answered by the error handler below, as body-parser's errors are. */
const notJson = () => Object.assign(new Error('Request body is not valid JSON'), { status: 400 });

/** Builds the host; never listens (that is main.ts). */
export function createApp({ settings, db, cache, logger, identity, webDir, clock, metrics, registry, gateway, lifecycle = newLifecycle() }: AppDeps): Express {
  const app = express();
  // First, so that the time counted is the whole of the app's.
  app.use(requestMetrics(metrics));
  // Client IPs (sessions, rate limits) from X-Forwarded-For only behind that many proxies.
  app.set('trust proxy', settings.trustProxy);
  const https = settings.publicUrl.protocol === 'https:';

  app.use(securityHeaders(https));
  app.use(requestLogging(logger));
  // Where each request came from, for the audit events it writes.
  app.use(auditScope(metrics));

  app.use(closeConnectionsWhileDraining(lifecycle));
  app.use(healthRoutes({ db, cache, logger, lifecycle }));
  // Without a token, /metrics stays off the public port (the loopback listener serves it): a 404.
  if (settings.metrics.token) app.get('/metrics', protectedMetrics(metrics, settings.metrics.token));
  app.use(cookieParser());
  app.use('/auth', authRoutes({ settings, em: db.orm.em, cache, clock, client: identity.client, metrics }));
  app.use('/avatars', avatarRoutes({ settings, em: db.orm.em, cache, clock, metrics }));
  if (identity.devProvider) app.use(DEV_IDP_PATH, identity.devProvider);
  const cookies = cookiePolicy(settings.publicUrl);
  app.use('/trpc', (req, res, next) => {
    // Procedures are counted by name in tRPC; here the request as a whole, whatever ends it.
    res.locals[METRICS_ROUTE] = '/trpc';
    // Cookie-authenticated state changes come from the app's own pages only (DESIGN.md); reads
    // (GET) change nothing, and a request without the session cookie carries no one's authority.
    if (req.method === 'GET' || req.method === 'HEAD' || req.cookies?.[cookies.session] === undefined) return next();
    const refusal = csrfRefusal(req, settings.publicUrl);
    if (!refusal) return next();
    refuseTrpc(res, 'FORBIDDEN', refusal);
  });
  const contextDeps = { settings, cache, em: db.orm.em, clock, metrics, registry };
  const sessionOf = requestSessions(contextDeps);
  app.use(
    '/trpc',
    // From the URL alone, before the body is read: at most TRPC_MAX_BATCH_SIZE calls a request and
    // MREG_TRPC_RATE_LIMIT calls a minute (the session looked up here is the context's too).
    trpcBatchLimit,
    trpcRateLimit({
      limit: settings.trpcRateLimit,
      cache,
      session: (req, res) => sessionOf(req, res).session(),
      apiKey: async (req, res) => {
        const check = await sessionOf(req, res).bearer();
        return check?.ok ? check.caller.credential.id : null;
      },
    }),
    // body-parser enforces the size limit (413) and decodes the body, which stays text: tRPC parses
    // it itself. Given a parsed body, tRPC's adapter would serialise it again, and JSON.stringify
    // writes a number past JSON's range (1e400, parsed as Infinity) as null, which the schemas then
    // accept: the number must reach them as sent, to be refused.
    express.text({ type: 'application/json', limit: TRPC_MAX_BODY_BYTES }),
    (req, res, next) => {
      if (typeof req.body !== 'string') return next();
      // An empty body is no input, as body-parser's json() had it.
      if (req.body === '') {
        req.body = '{}';
        return next();
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(req.body);
      } catch {
        return next(notJson());
      }
      if (!nestsDeeperThan(parsed, TRPC_MAX_JSON_DEPTH)) return next();
      refuseTrpc(res, 'BAD_REQUEST', `Request body nests deeper than ${TRPC_MAX_JSON_DEPTH} levels`);
    },
    createExpressMiddleware({
      router: appRouter,
      // tRPC's own check of the bound trpcBatchLimit enforces first, should the two ever count a batch differently.
      maxBatchSize: TRPC_MAX_BATCH_SIZE,
      createContext: contextFactory(contextDeps, sessionOf),
      onError: ({ error, path, req }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') req.log.error({ err: error.cause ?? error, path }, 'tRPC error');
      },
    }),
  );
  // The audit log as CSV (audit.list's filter), for the session or an API key with audit:read.
  app.get('/audit/export.csv', auditExportRoute(sessionOf));
  // Raw statements only (no unit of work), and those only on a cache miss: the ORM's own EntityManager serves.
  const credentialDeps = apiKeyDeps({ em: db.orm.em, cache, clock, settings, local: gateway.callers });
  const authenticate = bearerAuthenticator(
    (token) => authenticateApiKey(credentialDeps, token),
    (token) => authenticateAccessToken(credentialDeps, token),
  );
  // MCP clients' authorization server (issue 20): metadata, /register, /authorize, /token, /revoke at the root.
  app.use(oauthRoutes({ settings, db, cache, clock, authenticate }));
  // MCP clients (/mcp and /mcp/<slug>): named for the metrics (never by slug); Host and Origin
  // checked first (DNS rebinding); bearer credentials only (DESIGN.md, security model), never the
  // browser cookie; then the rate limits both share.
  app.use(
    '/mcp',
    (req, res, next) => {
      res.locals[METRICS_ROUTE] = req.path === '/' ? '/mcp' : PASS_THROUGH_ROUTE;
      next();
    },
    trackStandingStreams(lifecycle),
    mcpHostCheck(settings.publicUrl),
    requireBearer({ authenticate, sessionCookie: cookies.session, guard: refusedCredentialGuard(cache), publicUrl: settings.publicUrl }),
    ...mcpRateLimits({ settings, cache, onRefused: () => metrics.mcpRequest('rate-limited', 'refused') }),
  );
  // Before /mcp's own router, which would otherwise see /mcp/<slug> first.
  app.use(PASS_THROUGH_ROUTE, mcpPassThroughRoutes({ agents: gateway.passThroughAgents, authenticate, settings, db, cache, logger, metrics, registry, toolCalls: gateway.toolCalls }));
  app.use('/mcp', mcpGatewayRoutes({ cache, logger, metrics, authenticate, views: gateway.views, upstreams: gateway.upstreams, cancellations: gateway.cancellations, toolCalls: gateway.toolCalls }));
  app.use(spaRoutes(webDir));

  app.use((req, res) => {
    res.status(404).json({ error: 'Not found', path: req.path });
  });

  // A plain route's AppError or database outage: its status and words, as over tRPC.
  app.use(appErrors);
  const onError: ErrorRequestHandler = (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) req.log.error({ err: error }, 'Unhandled error');
    res.status(status).json({
      error: status === 500 ? 'Internal server error' : clientMessage(error),
      requestId: req.id,
    });
  };
  app.use(onError);
  return app;
}
